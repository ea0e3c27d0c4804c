"""The sending providers' APIs (Resend, Postmark, Brevo, SMTP2GO), by name through `registry`.

Each provider module turns one API's answers into the neutral model of `base` and exposes one
`ADAPTER`; its `<provider>_domains` and `<provider>_traffic` modules read the From domain's
verification and the last 24 hours of mail. `lookup` asks the three questions through an adapter
(`sender_domain`, `mailbox_traffic` and `mailbox_group` own the last two), and `timeline`,
`assessment` (with `domain_assessment`, `traffic_assessment`) and `correlation` turn the answers into
the provider check's details and judgement.
"""
