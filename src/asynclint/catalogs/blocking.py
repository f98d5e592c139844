"""Blocking calls (rule-catalog §1.2, rows A to K3): which callables block the event loop,
which rule reports them, how heavy they are, what to use instead and which fix applies.

Data only. Keys are qualified names of functions (`requests.get`) or `Type.method` for
methods on a receiver of known type (`requests.Session.get`); `Type.*` stands for every
method of the type but those in `NOT_BLOCKING`. Adding a function is one line.

Replacement texts may use `{name}` (the callee as written) and, in the anyio/trio
column, `{lib}` (the library the module uses).
"""

from __future__ import annotations

from typing import NamedTuple

# Tiers (after aiocop's weights). HEAVY and MODERATE are reported by default; LIGHT only
# with `blocking-light-calls`, SIZE with `cpu-heavy-size-dependent`, IMPORT with
# `blocking-imports`; NEVER is listed so that nobody adds it back by mistake.
HEAVY = "heavy"
MODERATE = "moderate"
LIGHT = "light"
SIZE = "size"
IMPORT = "import"
NEVER = "never"

# Fix kinds (rule-catalog §1.3).
NO_FIX = "none"
SLEEP = "sleep"  # safe: await asyncio.sleep(...)
TO_THREAD = "to_thread"  # unsafe: await asyncio.to_thread(f, ...)
GETADDRINFO = "getaddrinfo"  # unsafe: await loop.getaddrinfo(...)
WRAP_FUTURE = "wrap_future"  # unsafe: await asyncio.wrap_future(fut)


class Blocking(NamedTuple):
    code: str
    tier: str
    asyncio: str  # what to use instead, for asyncio code
    other: str  # the same for anyio/trio code (`{lib}`)
    fix: str = NO_FIX
    lazy: bool = False  # returns an iterator that blocks while it is consumed


_THREAD = "`await asyncio.to_thread({name}, ...)`"
_THREAD_OTHER = "`await {lib}.to_thread.run_sync({name}, ...)`"

SLEEP_CALL = Blocking("ASL101", HEAVY, "`await asyncio.sleep(...)`", "`await {lib}.sleep(...)`", SLEEP)
HTTP_FUNCTION = Blocking(
    "ASL102",
    HEAVY,
    "`httpx.AsyncClient`/`aiohttp.ClientSession`, or " + _THREAD,
    "`httpx.AsyncClient`, or " + _THREAD_OTHER,
    TO_THREAD,
)
HTTP_CLIENT = Blocking(
    "ASL102",
    HEAVY,
    "an async client (`httpx.AsyncClient`, `aiohttp.ClientSession`) with the same methods",
    "an async client (`httpx.AsyncClient`) with the same methods",
)
DNS = Blocking(
    "ASL109",
    HEAVY,
    "`await asyncio.get_running_loop().getaddrinfo(...)`",
    "`await {lib}.getaddrinfo(...)`",
    GETADDRINFO,
)
DNS_OTHER = Blocking("ASL109", HEAVY, "`loop.getaddrinfo`/`loop.getnameinfo`, or " + _THREAD, _THREAD_OTHER)
SOCKET = Blocking(
    "ASL109",
    HEAVY,
    "`asyncio.open_connection` streams or `loop.sock_*` on a non-blocking socket",
    "`{lib}.connect_tcp` streams",
)
TLS = Blocking(
    "ASL113",
    HEAVY,
    "an SSL context built once at start-up, or " + _THREAD,
    "an SSL context built once at start-up, or " + _THREAD_OTHER,
    TO_THREAD,
)
SPAWN = Blocking(
    "ASL103",
    HEAVY,
    "`await asyncio.create_subprocess_exec(...)`/`create_subprocess_shell(...)`",
    "`await {lib}.open_process(...)`",
)
RUN_PROCESS = Blocking(
    "ASL103",
    HEAVY,
    "`proc = await asyncio.create_subprocess_exec(...)` and `await proc.communicate()`, or " + _THREAD,
    "`await {lib}.run_process(...)`, or " + _THREAD_OTHER,
    TO_THREAD,
)
PROCESS_WAIT = Blocking(
    "ASL104",
    HEAVY,
    "`await proc.wait()` on an asyncio subprocess, or " + _THREAD,
    "`await proc.wait()` on a {lib} process, or " + _THREAD_OTHER,
    TO_THREAD,
)
FILE_OPEN = Blocking(
    "ASL105",
    MODERATE,
    "`aiofiles.open`/`anyio.open_file`, or do the whole file I/O in `asyncio.to_thread`",
    "`await {lib}.open_file(...)`, or do the whole file I/O in `{lib}.to_thread.run_sync`",
)
FILE_IO = Blocking(
    "ASL106",
    MODERATE,
    "an async file (`aiofiles`, `anyio.wrap_file`), or " + _THREAD,
    "`{lib}.wrap_file(...)`, or " + _THREAD_OTHER,
)
PATH_IO = Blocking(
    "ASL106", MODERATE, _THREAD + " or `anyio.Path`", "`{lib}.Path(...)` or " + _THREAD_OTHER, TO_THREAD
)
FS_CHANGE = Blocking(
    "ASL107", MODERATE, "`aiofiles.os`, or " + _THREAD, "`{lib}.Path`, or " + _THREAD_OTHER, TO_THREAD
)
FS_TREE = Blocking("ASL107", HEAVY, _THREAD, _THREAD_OTHER, TO_THREAD)
FS_LOCK = Blocking(
    "ASL107", MODERATE, "a non-blocking lock (`LOCK_NB`) and a retry, or " + _THREAD, _THREAD_OTHER
)
FS_ITER = Blocking(
    "ASL107",
    HEAVY,
    "`await asyncio.to_thread(lambda: list(...))`",
    "`await {lib}.to_thread.run_sync(lambda: list(...))`",
    lazy=True,
)
FS_LIGHT = Blocking(
    "ASL107",
    LIGHT,
    "`anyio.Path`/`aiofiles.ospath`, or " + _THREAD,
    "`{lib}.Path`, or " + _THREAD_OTHER,
    TO_THREAD,
)
#: One metadata change of one entry (make or remove a folder, remove or rename a file,
#: change its mode or owner): as cheap as a `stat`, so in the light tier too (one `mkdir`
#: at start-up, one `chmod` of a socket, one atomic `replace` of a backup at shutdown).
FS_META = Blocking(
    "ASL107",
    LIGHT,
    "`aiofiles.os`, or " + _THREAD,
    "`{lib}.Path`, or " + _THREAD_OTHER,
    TO_THREAD,
)
FS_FD = Blocking(
    "ASL107", LIGHT, "`loop.connect_read_pipe`/`connect_write_pipe`, or " + _THREAD, _THREAD_OTHER
)
FS_TRIVIAL = Blocking("ASL107", NEVER, "", "")
CONSOLE = Blocking("ASL108", HEAVY, _THREAD, _THREAD_OTHER, TO_THREAD)
DB = Blocking("ASL110", HEAVY, "{replacement}", "{replacement}")
THREAD_WAIT = Blocking(
    "ASL111",
    HEAVY,
    "the asyncio primitive (`asyncio.Event`/`Queue`/`Condition`), a `janus` queue across threads, or "
    + _THREAD,
    "the {lib} primitive, or " + _THREAD_OTHER,
)
FUTURE_WAIT = Blocking(
    "ASL111",
    HEAVY,
    "`await asyncio.wrap_future(fut)`",
    "`await {lib}.to_thread.run_sync(fut.result)`",
    WRAP_FUTURE,
)
FUTURES_WAIT = Blocking(
    "ASL111",
    HEAVY,
    "`asyncio.wrap_future` with `asyncio.wait`/`as_completed`",
    "`{lib}.to_thread.run_sync`",
)
STDLIB_CLIENT = Blocking(
    "ASL112", HEAVY, "{replacement}, or " + _THREAD, "{replacement}, or " + _THREAD_OTHER
)
CPU = Blocking(
    "ASL114", HEAVY, _THREAD + " (or a process pool)", _THREAD_OTHER + " (or a process pool)", TO_THREAD
)
CPU_SIZE = Blocking("ASL114", SIZE, _THREAD + " for large inputs", _THREAD_OTHER + " for large inputs")
CPU_IMPORT = Blocking("ASL114", IMPORT, "an import at module level", "an import at module level")

#: Per-row replacement names for the `{replacement}` of DB and STDLIB_CLIENT rows, by the
#: first component(s) of the key.
ASYNC_ALTERNATIVES: dict[str, str] = {
    "sqlite3": "`aiosqlite`",
    "psycopg2": "`asyncpg` or `psycopg.AsyncConnection`",
    "psycopg": "`psycopg.AsyncConnection`",
    "pymysql": "`aiomysql`/`asyncmy`",
    "MySQLdb": "`aiomysql`/`asyncmy`",
    "mysql": "`aiomysql`/`asyncmy`",
    "redis": "`redis.asyncio`",
    "pymongo": "`pymongo.AsyncMongoClient` or motor",
    "sqlalchemy": "`create_async_engine`/`AsyncSession`",
    "boto3": "`aiobotocore`/`aioboto3`",
    "elasticsearch": "`elasticsearch.AsyncElasticsearch`",
    "pika": "`aio-pika`",
    "kafka": "`aiokafka`",
    "paramiko": "`asyncssh`",
    "smtplib": "`aiosmtplib`",
    "ftplib": "`aioftp`",
    "imaplib": "`aioimaplib`",
    "poplib": "an async POP3 client",
    "telnetlib": "`telnetlib3`",
    "nntplib": "an async NNTP client",
}

CALLS: dict[str, Blocking] = {
    # A: sleep
    "time.sleep": SLEEP_CALL,
    # B1: HTTP module functions
    "requests.get": HTTP_FUNCTION,
    "requests.post": HTTP_FUNCTION,
    "requests.put": HTTP_FUNCTION,
    "requests.patch": HTTP_FUNCTION,
    "requests.delete": HTTP_FUNCTION,
    "requests.head": HTTP_FUNCTION,
    "requests.options": HTTP_FUNCTION,
    "requests.request": HTTP_FUNCTION,
    "httpx.get": HTTP_FUNCTION,
    "httpx.post": HTTP_FUNCTION,
    "httpx.put": HTTP_FUNCTION,
    "httpx.patch": HTTP_FUNCTION,
    "httpx.delete": HTTP_FUNCTION,
    "httpx.head": HTTP_FUNCTION,
    "httpx.options": HTTP_FUNCTION,
    "httpx.request": HTTP_FUNCTION,
    "httpx.stream": HTTP_FUNCTION,
    "urllib.request.urlopen": HTTP_FUNCTION,
    "urllib.request.urlretrieve": HTTP_FUNCTION,
    "urllib3.request": HTTP_FUNCTION,
    # B2: HTTP client objects
    "requests.Session.get": HTTP_CLIENT,
    "requests.Session.post": HTTP_CLIENT,
    "requests.Session.put": HTTP_CLIENT,
    "requests.Session.patch": HTTP_CLIENT,
    "requests.Session.delete": HTTP_CLIENT,
    "requests.Session.head": HTTP_CLIENT,
    "requests.Session.options": HTTP_CLIENT,
    "requests.Session.request": HTTP_CLIENT,
    "requests.Session.send": HTTP_CLIENT,
    "httpx.Client.get": HTTP_CLIENT,
    "httpx.Client.post": HTTP_CLIENT,
    "httpx.Client.put": HTTP_CLIENT,
    "httpx.Client.patch": HTTP_CLIENT,
    "httpx.Client.delete": HTTP_CLIENT,
    "httpx.Client.head": HTTP_CLIENT,
    "httpx.Client.options": HTTP_CLIENT,
    "httpx.Client.request": HTTP_CLIENT,
    "httpx.Client.send": HTTP_CLIENT,
    "httpx.Client.stream": HTTP_CLIENT,
    "httpx.Client.close": HTTP_CLIENT,
    "urllib3.PoolManager.request": HTTP_CLIENT,
    "urllib3.PoolManager.urlopen": HTTP_CLIENT,
    "urllib3.PoolManager.request_encode_url": HTTP_CLIENT,
    "urllib3.PoolManager.request_encode_body": HTTP_CLIENT,
    "urllib3.ProxyManager.request": HTTP_CLIENT,
    "urllib3.ProxyManager.urlopen": HTTP_CLIENT,
    "urllib3.HTTPConnectionPool.request": HTTP_CLIENT,
    "urllib3.HTTPConnectionPool.urlopen": HTTP_CLIENT,
    "urllib3.HTTPSConnectionPool.request": HTTP_CLIENT,
    "urllib3.HTTPSConnectionPool.urlopen": HTTP_CLIENT,
    "http.client.HTTPConnection.request": HTTP_CLIENT,
    "http.client.HTTPConnection.getresponse": HTTP_CLIENT,
    "http.client.HTTPConnection.connect": HTTP_CLIENT,
    "http.client.HTTPConnection.putrequest": HTTP_CLIENT,
    "http.client.HTTPConnection.endheaders": HTTP_CLIENT,
    "http.client.HTTPSConnection.request": HTTP_CLIENT,
    "http.client.HTTPSConnection.getresponse": HTTP_CLIENT,
    "http.client.HTTPSConnection.connect": HTTP_CLIENT,
    "http.client.HTTPSConnection.putrequest": HTTP_CLIENT,
    "http.client.HTTPSConnection.endheaders": HTTP_CLIENT,
    "urllib.request.OpenerDirector.open": HTTP_CLIENT,
    "xmlrpc.client.ServerProxy.*": HTTP_CLIENT,
    # C1: DNS
    "socket.getaddrinfo": DNS,
    "socket.getnameinfo": DNS,
    "socket.gethostbyname": DNS_OTHER,
    "socket.gethostbyname_ex": DNS_OTHER,
    "socket.gethostbyaddr": DNS_OTHER,
    "socket.getfqdn": DNS_OTHER,
    # C2: blocking sockets
    "socket.create_connection": SOCKET,
    "socket.socket.connect": SOCKET,
    "socket.socket.connect_ex": SOCKET,
    "socket.socket.accept": SOCKET,
    "socket.socket.send": SOCKET,
    "socket.socket.sendall": SOCKET,
    "socket.socket.sendto": SOCKET,
    "socket.socket.sendmsg": SOCKET,
    "socket.socket.recv": SOCKET,
    "socket.socket.recv_into": SOCKET,
    "socket.socket.recvfrom": SOCKET,
    "socket.socket.recvfrom_into": SOCKET,
    "socket.socket.recvmsg": SOCKET,
    "ssl.SSLSocket.read": SOCKET,
    "ssl.SSLSocket.write": SOCKET,
    "ssl.SSLSocket.send": SOCKET,
    "ssl.SSLSocket.recv": SOCKET,
    "ssl.SSLSocket.do_handshake": SOCKET,
    # C3: TLS set-up reads CA files
    "ssl.create_default_context": TLS,
    "ssl.SSLContext.load_default_certs": TLS,
    "ssl.SSLContext.load_verify_locations": TLS,
    "ssl.SSLContext.load_cert_chain": TLS,
    "ssl.SSLContext.set_default_verify_paths": TLS,
    # D1: spawn a process
    "subprocess.Popen": SPAWN,
    "os.popen": SPAWN,
    "os.spawnl": SPAWN,
    "os.spawnle": SPAWN,
    "os.spawnlp": SPAWN,
    "os.spawnlpe": SPAWN,
    "os.spawnv": SPAWN,
    "os.spawnve": SPAWN,
    "os.spawnvp": SPAWN,
    "os.spawnvpe": SPAWN,
    # D2: run a process and wait for it
    "subprocess.run": RUN_PROCESS,
    "subprocess.call": RUN_PROCESS,
    "subprocess.check_call": RUN_PROCESS,
    "subprocess.check_output": RUN_PROCESS,
    "subprocess.getoutput": RUN_PROCESS,
    "subprocess.getstatusoutput": RUN_PROCESS,
    "os.system": RUN_PROCESS,
    "os.posix_spawn": RUN_PROCESS,
    "os.posix_spawnp": RUN_PROCESS,
    # D3: wait for a process
    "os.wait": PROCESS_WAIT,
    "os.wait3": PROCESS_WAIT,
    "os.wait4": PROCESS_WAIT,
    "os.waitid": PROCESS_WAIT,
    "os.waitpid": PROCESS_WAIT,
    "subprocess.Popen.wait": PROCESS_WAIT,
    "subprocess.Popen.communicate": PROCESS_WAIT,
    # E1: open a file
    "builtins.open": FILE_OPEN,
    "io.open": FILE_OPEN,
    "io.open_code": FILE_OPEN,
    "codecs.open": FILE_OPEN,
    "os.fdopen": FILE_OPEN,
    "os.open": FILE_OPEN,
    "gzip.open": FILE_OPEN,
    "bz2.open": FILE_OPEN,
    "lzma.open": FILE_OPEN,
    "pathlib.Path.open": FILE_OPEN,
    "tempfile.mkstemp": FILE_OPEN,
    # E2: methods of file objects (reported for handles not opened in the same function)
    "io.TextIOWrapper.read": FILE_IO,
    "io.TextIOWrapper.readline": FILE_IO,
    "io.TextIOWrapper.readlines": FILE_IO,
    "io.TextIOWrapper.write": FILE_IO,
    "io.TextIOWrapper.writelines": FILE_IO,
    "io.TextIOWrapper.flush": FILE_IO,
    "io.TextIOWrapper.truncate": FILE_IO,
    "io.BufferedReader.read": FILE_IO,
    "io.BufferedReader.readline": FILE_IO,
    "io.BufferedReader.readlines": FILE_IO,
    "io.BufferedWriter.write": FILE_IO,
    "io.BufferedWriter.writelines": FILE_IO,
    "io.BufferedWriter.flush": FILE_IO,
    "io.BufferedRandom.read": FILE_IO,
    "io.BufferedRandom.readline": FILE_IO,
    "io.BufferedRandom.readlines": FILE_IO,
    "io.BufferedRandom.write": FILE_IO,
    "io.BufferedRandom.writelines": FILE_IO,
    "io.BufferedRandom.flush": FILE_IO,
    "io.BufferedRandom.truncate": FILE_IO,
    "codecs.StreamReaderWriter.read": FILE_IO,
    "codecs.StreamReaderWriter.write": FILE_IO,
    # E3: whole-file pathlib
    "pathlib.Path.read_text": PATH_IO,
    "pathlib.Path.read_bytes": PATH_IO,
    "pathlib.Path.write_text": PATH_IO,
    "pathlib.Path.write_bytes": PATH_IO,
    "pathlib.Path.touch": PATH_IO,
    # E4: filesystem changes
    "os.mkdir": FS_META,
    "os.makedirs": FS_META,
    "os.rmdir": FS_META,
    "os.removedirs": FS_CHANGE,
    "os.remove": FS_META,
    "os.unlink": FS_META,
    "os.rename": FS_META,
    "os.renames": FS_CHANGE,
    "os.replace": FS_META,
    "os.link": FS_CHANGE,
    "os.symlink": FS_CHANGE,
    "os.truncate": FS_CHANGE,
    "os.chmod": FS_META,
    "os.chown": FS_META,
    "os.utime": FS_CHANGE,
    "os.sendfile": FS_CHANGE,
    "shutil.copy": FS_CHANGE,
    "shutil.copy2": FS_CHANGE,
    "shutil.copyfile": FS_CHANGE,
    "shutil.copyfileobj": FS_CHANGE,
    "shutil.copymode": FS_CHANGE,
    "shutil.copystat": FS_CHANGE,
    "shutil.move": FS_CHANGE,
    "shutil.chown": FS_META,
    "shutil.copytree": FS_TREE,
    "shutil.rmtree": FS_TREE,
    "shutil.make_archive": FS_TREE,
    "shutil.unpack_archive": FS_TREE,
    # send2trash moves a file or a whole folder to the trash: a rename and an info file on
    # Linux, the shell's file operation on Windows, Finder on macOS
    "send2trash.send2trash": FS_TREE,
    "pathlib.Path.mkdir": FS_META,
    "pathlib.Path.rmdir": FS_META,
    "pathlib.Path.unlink": FS_META,
    "pathlib.Path.rename": FS_META,
    "pathlib.Path.replace": FS_META,
    "pathlib.Path.symlink_to": FS_CHANGE,
    "pathlib.Path.hardlink_to": FS_CHANGE,
    "pathlib.Path.chmod": FS_META,
    # E5: file locks and raw descriptors
    "fcntl.flock": FS_LOCK,
    "fcntl.lockf": FS_LOCK,
    "os.read": FS_FD,
    "os.write": FS_FD,
    # F1: directory traversal
    "os.listdir": FS_TREE,
    "glob.glob": FS_TREE,
    "os.walk": FS_ITER,
    "os.fwalk": FS_ITER,
    "os.scandir": FS_ITER,
    "glob.iglob": FS_ITER,
    "pathlib.Path.iterdir": FS_ITER,
    "pathlib.Path.glob": FS_ITER,
    "pathlib.Path.rglob": FS_ITER,
    "pathlib.Path.walk": FS_ITER,
    # F2: metadata (light tier, opt-in)
    "os.stat": FS_LIGHT,
    "os.lstat": FS_LIGHT,
    "os.access": FS_LIGHT,
    "os.statvfs": FS_LIGHT,
    "os.readlink": FS_LIGHT,
    "os.path.exists": FS_LIGHT,
    "os.path.lexists": FS_LIGHT,
    "os.path.isfile": FS_LIGHT,
    "os.path.isdir": FS_LIGHT,
    "os.path.islink": FS_LIGHT,
    "os.path.ismount": FS_LIGHT,
    "os.path.getsize": FS_LIGHT,
    "os.path.getmtime": FS_LIGHT,
    "os.path.getatime": FS_LIGHT,
    "os.path.getctime": FS_LIGHT,
    "os.path.samefile": FS_LIGHT,
    "os.path.sameopenfile": FS_LIGHT,
    "os.path.realpath": FS_LIGHT,
    "pathlib.Path.exists": FS_LIGHT,
    "pathlib.Path.is_file": FS_LIGHT,
    "pathlib.Path.is_dir": FS_LIGHT,
    "pathlib.Path.is_symlink": FS_LIGHT,
    "pathlib.Path.is_mount": FS_LIGHT,
    "pathlib.Path.is_socket": FS_LIGHT,
    "pathlib.Path.is_fifo": FS_LIGHT,
    "pathlib.Path.is_block_device": FS_LIGHT,
    "pathlib.Path.is_char_device": FS_LIGHT,
    "pathlib.Path.stat": FS_LIGHT,
    "pathlib.Path.lstat": FS_LIGHT,
    "pathlib.Path.owner": FS_LIGHT,
    "pathlib.Path.group": FS_LIGHT,
    "pathlib.Path.resolve": FS_LIGHT,
    "pathlib.Path.samefile": FS_LIGHT,
    "pathlib.Path.readlink": FS_LIGHT,
    # F3: pure string work or a cached value (never reported)
    "os.getcwd": FS_TRIVIAL,
    "os.path.abspath": FS_TRIVIAL,
    # Temporary files and folders: one small create (a `SpooledTemporaryFile` none until it
    # rolls over), next to the real work done with them.
    "tempfile.mkdtemp": FS_TRIVIAL,
    "tempfile.TemporaryFile": FS_TRIVIAL,
    "tempfile.NamedTemporaryFile": FS_TRIVIAL,
    "tempfile.SpooledTemporaryFile": FS_TRIVIAL,
    "tempfile.TemporaryDirectory": FS_TRIVIAL,
    "os.path.relpath": FS_TRIVIAL,
    "os.path.normpath": FS_TRIVIAL,
    "os.path.expanduser": FS_TRIVIAL,
    "pathlib.Path.absolute": FS_TRIVIAL,
    "pathlib.Path.cwd": FS_TRIVIAL,
    "pathlib.Path.home": FS_TRIVIAL,
    "pathlib.Path.expanduser": FS_TRIVIAL,
    # G: console
    "builtins.input": CONSOLE,
    "getpass.getpass": CONSOLE,
    "sys.stdin.read": CONSOLE,
    "sys.stdin.readline": CONSOLE,
    "sys.stdin.readlines": CONSOLE,
    # H: synchronous database and service clients
    "sqlite3.connect": DB,
    "sqlite3.Connection.execute": DB,
    "sqlite3.Connection.executemany": DB,
    "sqlite3.Connection.executescript": DB,
    "sqlite3.Connection.commit": DB,
    "sqlite3.Connection.rollback": DB,
    "sqlite3.Connection.backup": DB,
    "sqlite3.Cursor.execute": DB,
    "sqlite3.Cursor.executemany": DB,
    "sqlite3.Cursor.executescript": DB,
    "sqlite3.Cursor.fetchone": DB,
    "sqlite3.Cursor.fetchmany": DB,
    "sqlite3.Cursor.fetchall": DB,
    "psycopg2.connect": DB,
    "psycopg2.extensions.connection.commit": DB,
    "psycopg2.extensions.connection.rollback": DB,
    "psycopg2.extensions.cursor.execute": DB,
    "psycopg2.extensions.cursor.executemany": DB,
    "psycopg2.extensions.cursor.callproc": DB,
    "psycopg2.extensions.cursor.fetchone": DB,
    "psycopg2.extensions.cursor.fetchmany": DB,
    "psycopg2.extensions.cursor.fetchall": DB,
    "psycopg2.extensions.cursor.copy_expert": DB,
    "psycopg.connect": DB,
    "psycopg.Connection.connect": DB,
    "psycopg.Connection.execute": DB,
    "psycopg.Connection.commit": DB,
    "psycopg.Connection.rollback": DB,
    "psycopg.Cursor.execute": DB,
    "psycopg.Cursor.executemany": DB,
    "psycopg.Cursor.fetchone": DB,
    "psycopg.Cursor.fetchmany": DB,
    "psycopg.Cursor.fetchall": DB,
    "pymysql.connect": DB,
    "pymysql.connections.Connection.commit": DB,
    "pymysql.connections.Connection.rollback": DB,
    "pymysql.connections.Connection.query": DB,
    "pymysql.cursors.Cursor.execute": DB,
    "pymysql.cursors.Cursor.executemany": DB,
    "pymysql.cursors.Cursor.fetchone": DB,
    "pymysql.cursors.Cursor.fetchmany": DB,
    "pymysql.cursors.Cursor.fetchall": DB,
    "MySQLdb.connect": DB,
    "mysql.connector.connect": DB,
    "redis.Redis.*": DB,
    "redis.client.Pipeline.execute": DB,
    "pymongo.MongoClient.server_info": DB,
    "pymongo.MongoClient.list_database_names": DB,
    "pymongo.MongoClient.drop_database": DB,
    "pymongo.collection.Collection.find_one": DB,
    "pymongo.collection.Collection.insert_one": DB,
    "pymongo.collection.Collection.insert_many": DB,
    "pymongo.collection.Collection.update_one": DB,
    "pymongo.collection.Collection.update_many": DB,
    "pymongo.collection.Collection.replace_one": DB,
    "pymongo.collection.Collection.delete_one": DB,
    "pymongo.collection.Collection.delete_many": DB,
    "pymongo.collection.Collection.count_documents": DB,
    "pymongo.collection.Collection.aggregate": DB,
    "pymongo.collection.Collection.distinct": DB,
    "pymongo.collection.Collection.bulk_write": DB,
    "pymongo.collection.Collection.create_index": DB,
    "pymongo.collection.Collection.find_one_and_update": DB,
    "pymongo.collection.Collection.find_one_and_delete": DB,
    "pymongo.collection.Collection.find_one_and_replace": DB,
    "sqlalchemy.engine.Engine.connect": DB,
    "sqlalchemy.engine.Engine.begin": DB,
    "sqlalchemy.engine.Connection.execute": DB,
    "sqlalchemy.engine.Connection.commit": DB,
    "sqlalchemy.orm.Session.execute": DB,
    "sqlalchemy.orm.Session.commit": DB,
    "sqlalchemy.orm.Session.scalars": DB,
    "sqlalchemy.orm.Session.scalar": DB,
    "sqlalchemy.orm.Session.get": DB,
    "sqlalchemy.orm.Session.flush": DB,
    "sqlalchemy.orm.Session.refresh": DB,
    "sqlalchemy.orm.Session.rollback": DB,
    "boto3.client": DB,
    "boto3.resource": DB,
    "boto3.Client.*": DB,
    "elasticsearch.Elasticsearch.*": DB,
    "pika.BlockingConnection": DB,
    "pika.BlockingConnection.*": DB,
    "kafka.KafkaProducer": DB,
    "kafka.KafkaProducer.flush": DB,
    "kafka.KafkaConsumer.poll": DB,
    "kafka.KafkaConsumer.commit": DB,
    "kafka.producer.future.FutureRecordMetadata.get": DB,
    "paramiko.SSHClient.connect": DB,
    "paramiko.SSHClient.exec_command": DB,
    # I2: waits on thread and process primitives
    "threading.Event.wait": THREAD_WAIT,
    "threading.Condition.wait": THREAD_WAIT,
    "threading.Condition.wait_for": THREAD_WAIT,
    "threading.Barrier.wait": THREAD_WAIT,
    "threading.Thread.join": THREAD_WAIT,
    "queue.Queue.get": THREAD_WAIT,
    "queue.Queue.join": THREAD_WAIT,
    "queue.LifoQueue.get": THREAD_WAIT,
    "queue.LifoQueue.join": THREAD_WAIT,
    "queue.PriorityQueue.get": THREAD_WAIT,
    "queue.PriorityQueue.join": THREAD_WAIT,
    "queue.SimpleQueue.get": THREAD_WAIT,
    "multiprocessing.Queue.get": THREAD_WAIT,
    "multiprocessing.JoinableQueue.get": THREAD_WAIT,
    "multiprocessing.JoinableQueue.join": THREAD_WAIT,
    "multiprocessing.Process.join": THREAD_WAIT,
    "multiprocessing.pool.Pool.map": THREAD_WAIT,
    "multiprocessing.pool.Pool.apply": THREAD_WAIT,
    "multiprocessing.pool.Pool.starmap": THREAD_WAIT,
    "multiprocessing.pool.Pool.join": THREAD_WAIT,
    "multiprocessing.connection.Connection.recv": THREAD_WAIT,
    "psutil.Process.wait": PROCESS_WAIT,
    "psutil.Popen.wait": PROCESS_WAIT,
    "psutil.Popen.communicate": PROCESS_WAIT,
    "psutil.wait_procs": PROCESS_WAIT,
    # I3: futures
    "concurrent.futures.Future.result": FUTURE_WAIT,
    "concurrent.futures.Future.exception": FUTURES_WAIT,
    "concurrent.futures.wait": FUTURES_WAIT,
    "concurrent.futures.as_completed": FUTURES_WAIT,
    "concurrent.futures.ThreadPoolExecutor.shutdown": FUTURES_WAIT,
    "concurrent.futures.ProcessPoolExecutor.shutdown": FUTURES_WAIT,
    "concurrent.futures.Executor.shutdown": FUTURES_WAIT,
    # J: standard-library network clients (constructors connect when given a host)
    "smtplib.SMTP": STDLIB_CLIENT,
    "smtplib.SMTP_SSL": STDLIB_CLIENT,
    "smtplib.LMTP": STDLIB_CLIENT,
    "smtplib.SMTP.*": STDLIB_CLIENT,
    "smtplib.SMTP_SSL.*": STDLIB_CLIENT,
    "ftplib.FTP": STDLIB_CLIENT,
    "ftplib.FTP_TLS": STDLIB_CLIENT,
    "ftplib.FTP.*": STDLIB_CLIENT,
    "ftplib.FTP_TLS.*": STDLIB_CLIENT,
    "poplib.POP3": STDLIB_CLIENT,
    "poplib.POP3_SSL": STDLIB_CLIENT,
    "poplib.POP3.*": STDLIB_CLIENT,
    "poplib.POP3_SSL.*": STDLIB_CLIENT,
    "imaplib.IMAP4": STDLIB_CLIENT,
    "imaplib.IMAP4_SSL": STDLIB_CLIENT,
    "imaplib.IMAP4.*": STDLIB_CLIENT,
    "imaplib.IMAP4_SSL.*": STDLIB_CLIENT,
    "telnetlib.Telnet": STDLIB_CLIENT,
    "telnetlib.Telnet.*": STDLIB_CLIENT,
    "nntplib.NNTP": STDLIB_CLIENT,
    "nntplib.NNTP.*": STDLIB_CLIENT,
    # K1: CPU-heavy by design
    "hashlib.pbkdf2_hmac": CPU,
    "hashlib.scrypt": CPU,
    "bcrypt.hashpw": CPU,
    "bcrypt.checkpw": CPU,
    "bcrypt.kdf": CPU,
    "argon2.PasswordHasher.hash": CPU,
    "argon2.PasswordHasher.verify": CPU,
    "passlib.context.CryptContext.hash": CPU,
    "passlib.context.CryptContext.verify": CPU,
    "passlib.context.CryptContext.verify_and_update": CPU,
    "passlib.hash.bcrypt.hash": CPU,
    "passlib.hash.bcrypt.verify": CPU,
    "passlib.hash.pbkdf2_sha256.hash": CPU,
    "passlib.hash.pbkdf2_sha256.verify": CPU,
    "passlib.hash.argon2.hash": CPU,
    "passlib.hash.argon2.verify": CPU,
    "cryptography.hazmat.primitives.asymmetric.rsa.generate_private_key": CPU,
    "cryptography.hazmat.primitives.asymmetric.dsa.generate_private_key": CPU,
    # K2: CPU-heavy on large inputs (opt-in)
    "zlib.compress": CPU_SIZE,
    "zlib.decompress": CPU_SIZE,
    "gzip.compress": CPU_SIZE,
    "gzip.decompress": CPU_SIZE,
    "bz2.compress": CPU_SIZE,
    "bz2.decompress": CPU_SIZE,
    "lzma.compress": CPU_SIZE,
    "lzma.decompress": CPU_SIZE,
    "json.dumps": CPU_SIZE,
    "json.loads": CPU_SIZE,
    "pickle.dumps": CPU_SIZE,
    "pickle.loads": CPU_SIZE,
    "pandas.read_csv": CPU_SIZE,
    "pandas.read_json": CPU_SIZE,
    "pandas.read_excel": CPU_SIZE,
    "pandas.read_parquet": CPU_SIZE,
    "PIL.Image.open": CPU_SIZE,
    # K3: imports at run time (opt-in)
    "importlib.import_module": CPU_IMPORT,
    "builtins.__import__": CPU_IMPORT,
}

#: Methods of `Type.*` rows that do no I/O.
NOT_BLOCKING: frozenset[str] = frozenset(
    {
        "redis.Redis.pipeline",
        "redis.Redis.lock",
        "redis.Redis.pubsub",
        "redis.Redis.register_script",
        "redis.Redis.get_encoder",
        "redis.Redis.get_connection_kwargs",
        "redis.Redis.set_response_callback",
        "redis.Redis.monitor",
        "boto3.Client.get_paginator",
        "boto3.Client.can_paginate",
        "boto3.Client.get_waiter",
        "boto3.Client.generate_presigned_url",
        "boto3.Client.generate_presigned_post",
        "elasticsearch.Elasticsearch.options",
        "smtplib.SMTP.set_debuglevel",
        "ftplib.FTP.set_debuglevel",
        "ftplib.FTP.set_pasv",
        "imaplib.IMAP4.set_debuglevel",
        "xmlrpc.client.ServerProxy.__call__",
    }
)

#: Constructors that only connect when they are given a host (`smtplib.SMTP()` does not).
CONNECT_WITH_ARGS: frozenset[str] = frozenset(
    {
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "smtplib.LMTP",
        "ftplib.FTP",
        "ftplib.FTP_TLS",
        "poplib.POP3",
        "poplib.POP3_SSL",
        "imaplib.IMAP4",
        "imaplib.IMAP4_SSL",
        "telnetlib.Telnet",
        "nntplib.NNTP",
    }
)

#: Thread locks (row I1): ASL115 reports `with lock:` and `lock.acquire()` on these.
THREAD_LOCKS: frozenset[str] = frozenset(
    {
        "threading.Lock",
        "threading.RLock",
        "threading.Semaphore",
        "threading.BoundedSemaphore",
        "threading.Condition",
        "multiprocessing.Lock",
        "multiprocessing.RLock",
        "multiprocessing.Semaphore",
    }
)

#: Types the catalog reads as another, for receiver types (a `pathlib.PosixPath` is a Path);
#: other spellings of one name are resolved before, by `catalogs.names`.
TYPE_ALIASES: dict[str, str] = {
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    "pathlib.PurePath": "pathlib.PurePath",
    "multiprocessing.queues.Queue": "multiprocessing.Queue",
    "multiprocessing.queues.JoinableQueue": "multiprocessing.JoinableQueue",
    "multiprocessing.context.Process": "multiprocessing.Process",
    "multiprocessing.pool.ThreadPool": "multiprocessing.pool.Pool",
    "_thread.LockType": "threading.Lock",
    "_thread.lock": "threading.Lock",
    "io.FileIO": "io.BufferedRandom",
}


#: File and filesystem calls (rows E and F): set-up and clean-up in test files and
#: command-line code, which those places do not report (`test-file-io` restores them).
FILE_CODES: frozenset[str] = frozenset({"ASL105", "ASL106", "ASL107"})
#: Calls of other rows that are local file I/O all the same: a SQLite database file (by
#: the prefix of their catalog key).
LOCAL_FILE_PREFIXES = ("sqlite3.",)

#: A helper whose only blocking calls are light-tier metadata calls (`os.makedirs`,
#: `Path.mkdir`, `os.path.exists`, even with `blocking-light-calls`) or sleeps of at most
#: `TINY_SLEEP` seconds is not reported through its callers (ASL116).
TINY_SLEEP = 0.01

#: Decorators that run the function they wrap in a worker thread (its callers get an
#: awaitable or a future): calling the function does not block (ASL116). Decorator
#: factories count by the factory's name (`@sync_to_async(thread_sensitive=False)`).
OFFLOAD_DECORATORS: frozenset[str] = frozenset(
    {
        "asgiref.sync.sync_to_async",
        "channels.db.database_sync_to_async",
        "asyncer.asyncify",
        "aiofiles.ospath.wrap",
        "anyio.to_thread.run_sync",
        "starlette.concurrency.run_in_threadpool",
        "fastapi.concurrency.run_in_threadpool",
        "sync_to_async.sync_to_async",
    }
)

#: Decorators that cache a function's result: it blocks on its first call only.
CACHE_DECORATORS: frozenset[str] = frozenset(
    {"functools.cache", "functools.lru_cache", "functools.cached_property", "cachetools.cached"}
)

#: Interactive prompts: a coroutine that asks the user is command-line code.
PROMPTS: frozenset[str] = frozenset(
    {
        "builtins.input",
        "getpass.getpass",
        "rich.prompt.Prompt.ask",
        "rich.prompt.Confirm.ask",
        "rich.prompt.IntPrompt.ask",
        "rich.prompt.FloatPrompt.ask",
        "click.prompt",
        "click.confirm",
        "typer.prompt",
        "typer.confirm",
    }
)
#: Modules whose calls prompt the user (any function of them).
PROMPT_MODULES = ("questionary.", "InquirerPy.", "inquirer.")
#: The last name of decorators that make a function a command of a command-line app
#: (`@app.command()`, `@click.command`, `@cli.callback()`).
COMMAND_DECORATORS: frozenset[str] = frozenset({"command", "callback"})
#: Calls (by the name called, a function or a method) that run work concurrently on the
#: loop: command-line code that makes one does not run alone (see `runs_alone`).
#: `wait` counts as `asyncio.wait` (an event's `wait()` starts nothing).
CONCURRENT_CALLS: frozenset[str] = frozenset(
    {
        "gather",
        "create_task",
        "ensure_future",
        "TaskGroup",
        "as_completed",
        "start_soon",
        "create_task_group",
        "open_nursery",
        "run_coroutine_threadsafe",
    }
)
ASYNC_MODULES: frozenset[str] = frozenset({"asyncio", "anyio", "trio"})
#: Serialisers: a helper that uses one pickles or JSON-dumps (or loads) what its file
#: holds; names ending in `Pickler`/`Unpickler` count too.
SERIALISERS: frozenset[str] = frozenset(
    {
        "pickle.dump",
        "pickle.load",
        "pickle.Pickler",
        "pickle.Unpickler",
        "json.dump",
        "json.load",
        "marshal.dump",
        "marshal.load",
    }
)


#: One-shot set-up and clean-up coroutines (leading and trailing underscores aside): file
#: and filesystem calls in them are not reported (see `files_quiet`).
LIFECYCLE_METHODS = frozenset(
    {
        "aenter",
        "aexit",
        "close",
        "aclose",
        "shutdown",
        "stop",
        "cleanup",
        "teardown",
        "startup",
        "setup",
        "initialize",
        "disconnect",
        "lifespan",
        "on_startup",
        "on_shutdown",
    }
)
