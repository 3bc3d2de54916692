"""The mock Portal for the Python suites (the binding suites and the
Portal's screens): the sync-server-mock binary with the demo data on a
free port of 127.0.0.1, its log in a file of the caller's choosing."""

import subprocess


class MockPortal:
    def __init__(self, binary, log_path):
        self.log = open(log_path, "w")
        self.process = subprocess.Popen([binary, "--port", "0", "--seed-demo"],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"sync-server-mock did not start: {line!r} (see {log_path})")
        self.url = line[len("listening on "):].strip()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
