"""A mail server, for tests, that refuses the addresses at refused.example (as an SMTP
server answers 550 for an unknown mailbox) and takes every other, into mail.outbox."""

import smtplib

from django.core.mail.backends import locmem


class EmailBackend(locmem.EmailBackend):
    opened = 0

    def open(self):
        type(self).opened += 1
        return super().open()

    def send_messages(self, messages):
        for message in messages:
            bad = [to for to in message.to if to.endswith("@refused.example")]
            if bad:
                raise smtplib.SMTPRecipientsRefused(
                    {to: (550, b"5.1.1 Mailbox does not exist") for to in bad}
                )
        return super().send_messages(messages)
