from __future__ import annotations

from asynclint.rule import FixSafety
from asynclint.rules._resources import Creation, CreationRule


class StreamWriterNotClosed(CreationRule):
    """
    ## What it does
    Finds the `StreamWriter` of `asyncio.open_connection()` (or `open_unix_connection()`,
    also opened under `asyncio.wait_for`)
    in an `async def` that is never closed: no `writer.close()` anywhere in the function,
    and the writer is not handed to anyone else (returned, stored, passed on).

    ## Why is this bad?
    The writer owns the transport and its socket. Without `writer.close()` the connection
    stays open until garbage collection, which warns about an unclosed transport, and the
    peer never sees the end of the stream.

    ## Example
        import asyncio

        async def ping(host):
            reader, writer = await asyncio.open_connection(host, 7)
            writer.write(b"ping")
            return await reader.read(4)

    ## Use instead
        import asyncio

        async def ping(host):
            reader, writer = await asyncio.open_connection(host, 7)
            try:
                writer.write(b"ping")
                return await reader.read(4)
            finally:
                writer.close()
                await writer.wait_closed()

    ## Fix safety
    There is no fix: a `StreamWriter` is not a context manager, and where the close
    belongs depends on the protocol.
    """

    code = "ASL305"
    name = "stream-writer-not-closed"
    message = "{subject} {problem}; {advice}"
    fix_safety = FixSafety.NONE
    triggers = ("async", ("open_connection", "open_unix_connection"))
    any_close_counts = True

    def subject(self, creation: Creation) -> str:
        if creation.name in (None, "_"):
            return "The StreamWriter of this connection"
        return super().subject(creation)

    def advice(self, creation: Creation) -> str:
        writer = creation.name if creation.name not in (None, "_") else "writer"
        return f"call `{writer}.close()` and `await {writer}.wait_closed()` in a `finally:` block"
