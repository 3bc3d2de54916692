"""The Python suite of the lean flavour: the library built without its HTTP
stack (no reqwest, no rustls). Without an app transport a SyncClient says
so with Unsupported; with one (urllib, the plain suite's UrllibTransport)
the whole sync story and the fault run pass as they do on the full
library. Its shipped build (profile release-lean) aborts on a panic.

Run by bindings/test-python.sh (FIELDSYNC_FLAVOUR=lean):
    python3 bindings/python/test_lean.py <bindings dir> <sync-server-mock binary> [server log]
"""

import json
import os
import signal
import subprocess
import sys
import unittest

if len(sys.argv) < 3:
    sys.exit("usage: test_lean.py <bindings dir> <sync-server-mock binary> [server log]")
# The mock Portal, the helpers and the app-transport tests of the plain
# suite (it reads the same arguments and imports the generated module from
# the bindings dir).
import test_fieldsync as plain  # noqa: E402
from test_fieldsync import AppTransportTests  # noqa: E402,F401  (run here too)
from fieldsync import FieldStore, FieldSyncError, SyncClient, SyncConfig  # noqa: E402


def setUpModule():
    plain.setUpModule()


def tearDownModule():
    plain.tearDownModule()


class LeanTests(unittest.TestCase):
    def test_without_a_transport_the_client_says_what_is_missing(self):
        store = FieldStore.open_in_memory("en")
        with self.assertRaises(FieldSyncError.Unsupported) as raised:
            SyncClient(store, SyncConfig(server_url=plain.server.url), None)
        self.assertIn("pass a transport", str(raised.exception))
        # With one it is an ordinary client.
        SyncClient(store, SyncConfig(server_url=plain.server.url), None, plain.UrllibTransport())


class LeanPanicTests(unittest.TestCase):
    """A panic (a bug in fieldsync) ends the process in the lean flavour's
    shipped library (profile release-lean: no unwinding, 240 KB less); the
    debug build of every flavour, and the other flavours' shipped ones,
    raise it as InternalError. Run in a child process: an abort would end
    this suite."""

    def test_a_panic_aborts_the_shipped_library_and_raises_in_the_debug_one(self):
        generated = sys.argv[1]
        with open(os.path.join(generated, "..", "library.json")) as f:
            library = json.load(f)
        child = f"""
import sys
sys.path.insert(0, {generated!r})
import fieldsync

class Printer(fieldsync.Logger):
    def log(self, record):
        print("log:", record.level.name, record.target, record.message.splitlines()[-1], flush=True)

fieldsync.set_logger(Printer(), fieldsync.LogLevel.ERROR)
try:
    fieldsync.panic_for_tests("boom from the lean suite")
except fieldsync.InternalError as error:
    print("InternalError:", error, flush=True)
"""
        ran = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120)
        # Either way the app's logger hears of it first, at ERROR.
        logged = "log: ERROR fieldsync::panic boom from the lean suite\n"
        if library["panic"] == "abort":
            self.assertEqual(ran.returncode, -signal.SIGABRT, ran.stdout + ran.stderr)
            self.assertEqual(ran.stdout, logged, "the record, then nothing: the process ended")
            # Rust's own report, on stderr (which Android sends nowhere).
            self.assertIn("boom from the lean suite", ran.stderr)
        else:
            self.assertEqual(library["panic"], "unwind")
            self.assertEqual(ran.returncode, 0, ran.stderr)
            self.assertEqual(ran.stdout, logged + "InternalError: boom from the lean suite\n")


if __name__ == "__main__":
    plain.run_suite(__name__, "python-lean")
