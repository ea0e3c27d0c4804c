"""The sending providers' APIs (Resend, Postmark, Brevo, SMTP2GO), by name through `registry`.

Each provider module turns one API's answers into the neutral model of `base` and exposes one
`ADAPTER`; `lookup` asks through an adapter, and `timeline`, `assessment` and `correlation` turn the
answer into the provider check's details and judgement.
"""
