"""Adapters for the transactional-mail providers' APIs (Resend, Postmark, Brevo, SMTP2GO).

Each module turns one provider's answers into the neutral model of `base`; `timeline` and
`assessment` turn that into the provider check's details and judgement.
"""
