from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._blocking import BlockingCallRule


class BlockingStdlibClient(BlockingCallRule):
    """
    ## What it does
    Finds the standard library's blocking network clients used on the event loop inside
    an `async def`: `smtplib.SMTP[_SSL]`/`LMTP`, `ftplib.FTP[_TLS]`,
    `poplib.POP3[_SSL]`, `imaplib.IMAP4[_SSL]`, `telnetlib.Telnet` and `nntplib.NNTP`:
    the constructors (which connect when given a host) and their methods on a receiver
    of known type.
    {{runs-alone}}
    {{test-waits}}

    ## Why is this bad?
    Each command waits for a server round trip over a blocking socket; the loop serves
    nothing else meanwhile.

    ## Example
        import smtplib

        async def notify(message):
            with smtplib.SMTP("mail.example.com") as smtp:
                smtp.send_message(message)

    ## Use instead
        import aiosmtplib

        async def notify(message):
            await aiosmtplib.send(message, hostname="mail.example.com")

    ## Fix safety
    No fix: the async clients have different APIs. The message names one, or
    `asyncio.to_thread` for the whole exchange.
    """

    code = "ASL112"
    name = "blocking-stdlib-client"
    message = "`{name}()` is a blocking standard-library network client on the event loop in `async def {function}`; use {replacement}"
    fix_safety = FixSafety.NONE
    triggers = ("async", ("smtplib", "ftplib", "poplib", "imaplib", "telnetlib", "nntplib"))
