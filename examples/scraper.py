"""A small async web scraper, written the way asyncio code often is at first.

Every problem asynclint reports here is a real one: run `asynclint examples/` to see them,
and `asynclint --diff examples/` to see what `--fix` would change.
"""

import asyncio
import json
import subprocess
import time

import aiohttp
import requests

RETRY_DELAY = 2.0


def load_settings(path):
    with open(path) as handle:
        return json.load(handle)


async def fetch_page(session, url):
    async with session.get(url) as response:
        return await response.text()


async def fetch_with_retry(session, url, attempts=3):
    for attempt in range(attempts):
        try:
            return await fetch_page(session, url)
        except aiohttp.ClientError:
            time.sleep(RETRY_DELAY * attempt)
    raise RuntimeError(f"giving up on {url}")


async def fetch_robots(host):
    response = requests.get(f"https://{host}/robots.txt")
    return response.text


async def crawl(urls):
    settings = load_settings("settings.json")
    session = aiohttp.ClientSession(headers=settings.get("headers", {}))
    pages = []
    for url in urls:
        pages.append(await fetch_with_retry(session, url))
    front = await fetch_page(session, urls[0])
    about = await fetch_page(session, urls[-1])
    await session.close()
    return pages, front, about


async def archive(pages):
    loop = asyncio.get_event_loop()
    started = loop.time()
    subprocess.run(["tar", "czf", "pages.tgz", "pages/"], check=True)
    asyncio.create_task(notify(len(pages)))
    return loop.time() - started


async def notify(count):
    reader, writer = await asyncio.open_connection("localhost", 9000)
    writer.write(f"archived {count} pages\n".encode())
    await writer.drain()
    try:
        await reader.readline()
    except asyncio.CancelledError:
        print("notification cancelled")


async def main():
    pages, _, _ = await crawl(["https://example.com/", "https://example.com/about"])
    await archive(pages)
    asyncio.run(notify(0))


if __name__ == "__main__":
    asyncio.run(main())
