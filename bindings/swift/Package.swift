// swift-tools-version:5.9
// The FieldSync Swift package: the uniffi-generated FieldSync.swift over the
// FieldSyncFFI XCFramework (libfieldsync.a for iOS devices and simulators,
// with its C header and module map). build-xcframework.sh writes both.
// Apps add it with `.package(path: "<fieldsync>/bindings/swift")`.
import PackageDescription

let package = Package(
    name: "FieldSync",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "FieldSync", targets: ["FieldSync"]),
    ],
    targets: [
        .binaryTarget(name: "FieldSyncFFI", path: "FieldSyncFFI.xcframework"),
        .target(
            name: "FieldSync",
            dependencies: ["FieldSyncFFI"],
            path: "Sources/FieldSync"
        ),
    ]
)
