// fieldsync's requests through URLSession, the app's own HTTP stack: the
// device's proxy settings, its trust store (a company CA installed by MDM)
// and, through the session's delegate, the app's certificate pinning apply
// to sync as to the app's other traffic.
//
//     let client = try SyncClient(store: store, config: config, credentials: nil,
//                                 transport: URLSessionTransport())
//
// Generated bindings are not compiled here (no Swift toolchain on the
// machines that build fieldsync): bindings/swift/check_swift.py checks that
// every declaration this file uses exists in the generated FieldSync.swift.

import Foundation

/// An `HttpTransport` on `URLSession`. Pass a session configured as the
/// app's other sessions are (its delegate pins certificates). URLSession
/// unpacks gzip itself; fieldsync reads bodies either way.
public final class URLSessionTransport: HttpTransport {
    private let session: URLSession

    public init(session: URLSession = .shared) {
        self.session = session
    }

    public func send(request: HttpRequest) async throws -> HttpResponse {
        guard let url = URL(string: request.url) else {
            throw HttpTransportError.Network(reason: "not a URL")
        }
        var outgoing = URLRequest(url: url)
        outgoing.httpMethod = request.method == .get ? "GET" : "POST"
        for (name, value) in request.headers {
            outgoing.setValue(value, forHTTPHeaderField: name)
        }
        if !request.body.isEmpty {
            outgoing.httpBody = request.body
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: outgoing)
        } catch let error as URLError {
            switch error.code {
            case .timedOut:
                throw HttpTransportError.Timeout
            case .serverCertificateUntrusted, .serverCertificateHasBadDate,
                 .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid,
                 .secureConnectionFailed, .cancelled:
                // A pinning delegate that refuses a certificate cancels
                // the challenge: URLSession reports `.cancelled`.
                throw HttpTransportError.Tls(reason: "URLError \(error.code.rawValue)")
            default:
                throw HttpTransportError.Network(reason: "URLError \(error.code.rawValue)")
            }
        }
        guard let http = response as? HTTPURLResponse else {
            throw HttpTransportError.Network(reason: "not an HTTP answer")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String {
                headers[name.lowercased()] = value
            }
        }
        return HttpResponse(status: UInt16(http.statusCode), headers: headers, body: data)
    }
}
