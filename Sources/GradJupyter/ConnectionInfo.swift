import Foundation
import GradJSON

/// The connection file a kernel is started with (`kernel -f FILE`): where to bind and how to sign.
public struct ConnectionInfo: Sendable, Equatable {
    public enum Transport: String, Sendable {
        case tcp
        case ipc
    }

    public var transport: Transport
    public var ip: String
    public var shellPort: Int
    public var iopubPort: Int
    public var stdinPort: Int
    public var controlPort: Int
    public var hbPort: Int
    public var key: String
    public var signatureScheme: String
    public var kernelName: String?

    public struct Invalid: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "invalid connection file: \(reason)" }
    }

    public init(transport: Transport = .tcp, ip: String = "127.0.0.1", shellPort: Int, iopubPort: Int, stdinPort: Int,
                controlPort: Int, hbPort: Int, key: String, signatureScheme: String = "hmac-sha256", kernelName: String? = nil) {
        self.transport = transport
        self.ip = ip
        self.shellPort = shellPort
        self.iopubPort = iopubPort
        self.stdinPort = stdinPort
        self.controlPort = controlPort
        self.hbPort = hbPort
        self.key = key
        self.signatureScheme = signatureScheme
        self.kernelName = kernelName
    }

    public init(json bytes: [UInt8]) throws {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw Invalid(reason: error.description)
        }
        guard let object = value.objectValue else { throw Invalid(reason: "not a JSON object") }

        func port(_ name: String) throws -> Int {
            guard let port = object[name]?.intValue else { throw Invalid(reason: "\"\(name)\" missing or not an integer") }
            guard (0...65_535).contains(port) else { throw Invalid(reason: "\"\(name)\" \(port) is not a port number") }
            return port
        }

        let transportName = object["transport"]?.stringValue ?? "tcp"
        guard let transport = Transport(rawValue: transportName) else {
            throw Invalid(reason: "transport \"\(transportName)\" (expected tcp or ipc)")
        }
        guard let ip = object["ip"]?.stringValue, !ip.isEmpty else { throw Invalid(reason: "\"ip\" missing") }
        self.init(
            transport: transport,
            ip: ip,
            shellPort: try port("shell_port"),
            iopubPort: try port("iopub_port"),
            stdinPort: try port("stdin_port"),
            controlPort: try port("control_port"),
            hbPort: try port("hb_port"),
            key: object["key"]?.stringValue ?? "",
            signatureScheme: object["signature_scheme"]?.stringValue ?? "hmac-sha256",
            kernelName: object["kernel_name"]?.stringValue
        )
    }

    public init(contentsOfFile path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Invalid(reason: "cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(json: Array(data))
    }

    /// The ZeroMQ endpoint for one port, spelled the way jupyter_client connects to it.
    public func endpoint(port: Int) -> String {
        switch transport {
        case .tcp:
            // IPv6 literals need brackets in a ZeroMQ tcp endpoint.
            let host = ip.contains(":") && !ip.hasPrefix("[") ? "[\(ip)]" : ip
            return "tcp://\(host):\(port)"
        case .ipc:
            return "ipc://\(ip)-\(port)"
        }
    }
}
