"""What can be checked of the Swift bindings without a Swift toolchain.

    python3 bindings/swift/check_swift.py <target/bindings/swift> <libfieldsync.so>

1. The C header compiles (as C11, with gcc), declares every function FieldSync.swift
   calls, and the module map names that header as module FieldSyncFFI.
2. The shipped library exports every function the header declares.
3. The API checksums and the uniffi contract version FieldSync.swift checks
   when it loads match what the shipped library answers (the same check the
   Swift code makes at start-up, made here through ctypes).
4. The Swift API the README shows exists, with those signatures, and so
   does every generated declaration the hand-written Sources/FieldSync/
   LiveQueries.swift (live queries as AsyncStreams) calls or implements.

Compiling FieldSync.swift and running it needs Swift and Xcode (macOS), which
this machine does not have: see bindings/README.md.
"""

import ctypes
import os
import re
import subprocess
import sys
import tempfile

swift_dir, library = sys.argv[1], sys.argv[2]
swift = open(f"{swift_dir}/FieldSync.swift").read()
header = open(f"{swift_dir}/FieldSyncFFI.h").read()
modulemap = open(f"{swift_dir}/FieldSyncFFI.modulemap").read()

passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


# gcc has no clang nullability qualifiers: define them away.
with tempfile.NamedTemporaryFile("w", suffix=".c") as probe:
    probe.write('#include "FieldSyncFFI.h"\nint main(void) { return 0; }\n')
    probe.flush()
    compiled = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_Nonnull=", "-D_Nullable=",
                               "-I", swift_dir, "-fsyntax-only", probe.name], capture_output=True, text=True)
check("FieldSyncFFI.h compiles as C11", compiled.returncode == 0, compiled.stderr)

FFI_NAME = r"\b((?:uniffi|ffi)_fieldsync_\w+)\s*\("
called = set(re.findall(FFI_NAME, swift))
declared = set(re.findall(FFI_NAME, header))
check("FieldSync.swift calls only functions FieldSyncFFI.h declares",
      called and called <= declared, sorted(called - declared))
check("the module map exposes FieldSyncFFI.h as module FieldSyncFFI",
      re.search(r'module FieldSyncFFI\s*\{[^}]*header "FieldSyncFFI.h"', modulemap) is not None, modulemap)
check("FieldSync.swift imports the FieldSyncFFI module", "import FieldSyncFFI" in swift)

nm = subprocess.run(["nm", "-D", "--defined-only", "--format=posix", library],
                    check=True, capture_output=True, text=True).stdout
exported = {line.split()[0] for line in nm.splitlines() if line.strip()}
check(f"the library exports all {len(declared)} functions of the header",
      declared <= exported, sorted(declared - exported))

lib = ctypes.CDLL(library)
expected_contract = re.search(r"let bindings_contract_version = (\d+)", swift)
contract = lib.ffi_fieldsync_uniffi_contract_version
contract.restype = ctypes.c_uint32
check("the uniffi contract version matches",
      expected_contract and int(expected_contract.group(1)) == contract(),
      f"Swift expects {expected_contract and expected_contract.group(1)}, library has {contract()}")
checksums = re.findall(r"if \((uniffi_fieldsync_checksum_\w+)\(\) != (\d+)\)", swift)
mismatched = []
for function, value in checksums:
    f = getattr(lib, function)
    f.restype = ctypes.c_uint16
    if f() != int(value):
        mismatched.append(function)
check(f"all {len(checksums)} API checksums match the library", checksums and not mismatched, mismatched)

# The API bindings/README.md shows, as Swift declares it.
api = [
    r"public static func `open`\(path: String, locale: String\)throws\s+-> FieldStore",
    r"public static func openInMemory\(locale: String\)throws\s+-> FieldStore",
    r"open func setLocale\(locale: String\)throws",
    r"open func segmentOptions\(\)throws\s+-> \[SegmentOption\]",
    r"open func picklistOptions\(kind: PicklistKind\)throws\s+-> \[PicklistOption\]",
    r"open func createCustomer\(draft: CustomerDraft\)throws\s+-> CustomerView",
    r"open func updateCustomer\(id: String, update: CustomerUpdate\)throws\s+-> CustomerView",
    r"open func customers\(query: CustomerQuery\)throws\s+-> CustomerPage",
    r"open func pendingChanges\(limit: UInt32\)throws\s+-> \[PendingChange\]",
    r"public convenience init\(store: FieldStore, config: SyncConfig, credentials: CredentialsProvider\?, transport: HttpTransport\? = nil\)throws",
    r"open func login\(username: String, password: String\)async throws\s+-> Session",
    r"open func sync\(\)async throws\s+-> SyncReport",
    r"open func start\(intervalSeconds: UInt32\)throws\s+-> BackgroundSyncHandle",
    r"open func cancelSync\(\)",
    r"case Cancelled\b",
    r"open func signOut\(clearData: Bool\)throws\s",
    r"open func signOutDiscardingChanges\(\)throws\s",
    r"case PendingChanges\(\s*count: UInt64\s*\)",
    r"public static func openEncrypted\(path: String, locale: String, key: Data\)throws\s+-> FieldStore",
    r"case WrongKey\b",
    r"case Unsupported\(\s*feature: String\s*\)",
    r"open func addObserver\(observer: SyncObserver\)",
    r"public protocol SyncObserver: AnyObject, Sendable",
    r"func statusChanged\(status: SyncStatus\) throws",
    r"public protocol CredentialsProvider: AnyObject, Sendable",
    r"func token\(refresh: Bool\) throws\s+-> String",
    r"enum FieldSyncError: Swift.Error",
    r"case SegmentReadOnly\(\s*customerId: String\s*\)",
    r"public var description: String",
    r"case set\(",
    r"public init\(\s*name: String\? = nil,\s*statusId: FieldChange\? = nil",
    r"open func customerSegments\(tag: String\? = nil\)throws\s+-> \[CustomerSegmentView\]",
    r"open func customerSegmentMembers\(segmentId: String, limit: UInt32 = UInt32\(50\), offset: UInt32 = UInt32\(0\)\)throws\s+-> CustomerSegmentMemberPage",
    r"open func customerSegmentsOf\(customerId: String\)throws\s+-> \[CustomerSegmentView\]",
    r"open func primaryCustomerSegment\(customerId: String\)throws\s+-> CustomerSegmentView\?",
    r"open func customerSegmentTags\(\)throws\s+-> \[CustomerSegmentTagCount\]",
    r"open func addToCustomerSegment\(segmentId: String, customerId: String\)throws\s+-> Bool",
    r"open func removeFromCustomerSegment\(segmentId: String, customerId: String\)throws\s+-> Bool",
    r"open func refreshCustomerSegments\(\)throws\s+-> CustomerSegmentRefresh",
    r"open func customerProfile\(customerId: String\)throws\s+-> CustomerProfile\?",
    r"open func purchaseSummary\(customerId: String\)throws\s+-> PurchaseSummary",
    r"case NotPermitted\(\s*action: String\s*\)",
    r"case `static`",
    r"public let flexi: Bool",
    r"public let memberCount: UInt64",
    r"case number\(\s*value: Double\s*\)",
    r"public let customerSegmentRefresh: CustomerSegmentRefresh",
    r"public enum RejectionCode\b",
    r"public enum MutationOperation\b",
    r"public enum EntityKind\b",
    r"case userProfile\b",
    r"public init\(\s*serverUrl: String,\s*connectTimeoutSeconds: UInt32 = UInt32\(10\)",
    r"public init\(\s*name: String,\s*statusId: String\? = nil",
    r"public protocol Logger: AnyObject, Sendable",
    r"func log\(record: LogRecord\) throws",
    r"public func setLogger\(logger: Logger, level: LogLevel\)",
    r"public func clearLogger\(\)",
    r"public enum LogLevel\b",
    r"case warn\b",
    r"case trace\b",
    r"public let target: String",
    r"public let message: String",
    r"open class WatchHandle: WatchHandleProtocol, @unchecked Sendable",
    r"open func close\(\)\s*\{",
]

# What LiveQueries.swift calls (FieldStore.watch...) and implements (the
# observer protocols), read from that file: each must exist as generated.
live_source = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "Sources", "FieldSync", "LiveQueries.swift")).read()
calls = re.findall(r"\b(watch\w+)\(\s*((?:\w+: [^,()]+(?:\([^()]*\))?,?\s*)+)\)", live_source)
for name, arguments in calls:
    labels = re.findall(r"(\w+):", arguments)
    api.append(rf"open func {name}\({', '.join(rf'{label}: [^,)]+' for label in labels)}\)(throws)?\s+-> WatchHandle")
for conformer, protocol in re.findall(r"final class (\w+): (\w+Observer)\b", live_source):
    api.append(rf"public protocol {protocol}: AnyObject, Sendable")
for label, kind in re.findall(r"func onChange\((\w+): ([^)]+)\) throws", live_source):
    api.append(rf"func onChange\({label}: {re.escape(kind)}\) throws")
check("LiveQueries.swift calls 6 watch functions and implements 6 observers",
      len(calls) == 6 and len(re.findall(r"func onChange", live_source)) == 6, calls)

# Encryption at rest: both flavours declare it (the plain one answers
# Unsupported).
api += [
    r"public static func encryptDatabase\(plainPath: String, encryptedPath: String, locale: String, key: Data\)throws\s+-> FieldStore",
    r"open func changeKey\(newKey: Data\)throws\s",
]
# Bring your own HTTP: what URLSessionTransport.swift implements and uses.
transport_source = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "Sources", "FieldSync", "URLSessionTransport.swift")).read()
check("URLSessionTransport.swift implements HttpTransport.send",
      re.search(r"final class URLSessionTransport: HttpTransport\b", transport_source)
      and re.search(r"func send\(request: HttpRequest\) async throws -> HttpResponse", transport_source),
      "no send(request:)")
api += [
    r"public protocol HttpTransport: AnyObject, Sendable",
    r"func send\(request: HttpRequest\) async throws\s+-> HttpResponse",
    r"public struct HttpRequest\b",
    r"public let method: HttpMethod",
    r"public let url: String",
    r"public let headers: \[String: String\]",
    r"public let body: Data",
    r"public init\(\s*status: UInt16,\s*headers: \[String: String\],\s*body: Data\)",
    r"public enum HttpMethod\b",
    r"case get\b",
    r"enum HttpTransportError: Swift.Error",
    r"case Network\(\s*reason: String\s*\)",
    r"case Timeout\b",
    r"case Tls\(\s*reason: String\s*\)",
]
declarations = re.sub(r"/\*\*.*?\*/", "", swift, flags=re.S)  # without doc comments
missing = [a for a in api if not re.search(a, declarations)]
check(f"the {len(api)} declarations bindings/README.md, LiveQueries.swift and URLSessionTransport.swift rely on exist", not missing, missing)

print(f"swift: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
