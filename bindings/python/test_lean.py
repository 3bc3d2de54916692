"""The Python suite of the lean flavour: the library built without its HTTP
stack (no reqwest, no rustls). Without an app transport a SyncClient says
so with Unsupported; with one (urllib, the plain suite's UrllibTransport)
the whole sync story and the fault run pass as they do on the full
library.

Run by bindings/test-python.sh (FIELDSYNC_FLAVOUR=lean):
    python3 bindings/python/test_lean.py <bindings dir> <sync-server-mock binary> [server log]
"""

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


if __name__ == "__main__":
    plain.run_suite(__name__, "python-lean")
