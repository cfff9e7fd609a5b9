import Foundation
import GradJSON
import GradJupyter
import Testing

@Suite struct ConnectionInfoTests {
    @Test func readsAJupyterClientConnectionFile() throws {
        let file = #"""
        {"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005,
         "ip": "127.0.0.1", "key": "a0436f6c-1916-498b", "transport": "tcp", "signature_scheme": "hmac-sha256",
         "kernel_name": "gradbook"}
        """#
        let info = try ConnectionInfo(json: Array(file.utf8))
        #expect(info == ConnectionInfo(shellPort: 5001, iopubPort: 5002, stdinPort: 5003, controlPort: 5004, hbPort: 5005,
                                       key: "a0436f6c-1916-498b", kernelName: "gradbook"))
        #expect(info.endpoint(port: info.shellPort) == "tcp://127.0.0.1:5001")
    }

    @Test func spellsIPCAndIPv6Endpoints() throws {
        var info = ConnectionInfo(transport: .ipc, ip: "/tmp/kernel-1", shellPort: 1, iopubPort: 2, stdinPort: 3, controlPort: 4,
                                  hbPort: 5, key: "")
        #expect(info.endpoint(port: 2) == "ipc:///tmp/kernel-1-2")
        info.transport = .tcp
        info.ip = "::1"
        #expect(info.endpoint(port: 9) == "tcp://[::1]:9")
    }

    @Test func rejectsBrokenFiles() {
        for file in ["[]", "{", #"{"ip": "127.0.0.1"}"#,
                     #"{"ip":"x","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":70000}"#,
                     #"{"ip":"x","shell_port":"1","iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5}"#,
                     #"{"ip":"x","transport":"udp","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5}"#] {
            #expect(throws: ConnectionInfo.Invalid.self, "\(file)") { try ConnectionInfo(json: Array(file.utf8)) }
        }
        #expect(throws: ConnectionInfo.Invalid.self) { try ConnectionInfo(contentsOfFile: "/nonexistent/connection.json") }
    }
}

@Suite struct KernelSpecTests {
    @Test func kernelJSONNamesTheBinaryAndTheLanguage() throws {
        let spec = KernelSpec.gradbook(executablePath: "/opt/gradbook/bin/gradbook", interruptMode: .signal)
        let json = try JSONParser.parse(spec.kernelJSON)
        #expect(json == [
            "argv": ["/opt/gradbook/bin/gradbook", "kernel", "-f", "{connection_file}"],
            "display_name": "gradbook",
            "language": "gradbook",
            "interrupt_mode": "signal",
            "metadata": ["debugger": false],
        ])
    }

    @Test func logosAreValidPNGsOfTheRightSize() throws {
        let files = KernelSpec.gradbook(executablePath: "/x").files
        for (name, size) in [("logo-32x32.png", 32), ("logo-64x64.png", 64)] {
            let png = try #require(files[name])
            #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            #expect(Array(png[12..<16]) == Array("IHDR".utf8))
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == size && height == size)
            #expect(Array(png.suffix(8).prefix(4)) == Array("IEND".utf8))
        }
        #expect(String(decoding: try #require(files["logo-svg.svg"]), as: UTF8.self).hasPrefix("<svg"))
    }

    @Test func installsUnderPrefixUserAndDataDirectories() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kernelspec-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spec = KernelSpec.gradbook(executablePath: "/bin/gradbook")

        let installed = try KernelSpecInstaller.install(spec, to: .prefix(root + "/env"))
        #expect(installed == root + "/env/share/jupyter/kernels/gradbook")
        for file in ["kernel.json", "logo-32x32.png", "logo-64x64.png", "logo-svg.svg"] {
            #expect(FileManager.default.fileExists(atPath: installed + "/" + file))
        }
        let written = try Data(contentsOf: URL(fileURLWithPath: installed + "/kernel.json"))
        #expect(Array(written) == spec.kernelJSON)

        #expect(try KernelSpecInstaller.kernelsDirectory(for: .user, environment: ["JUPYTER_DATA_DIR": root + "/data", "HOME": "/h"])
            == root + "/data/kernels")
        #if os(Linux)
        #expect(try KernelSpecInstaller.kernelsDirectory(for: .user, environment: ["HOME": "/home/u"])
            == "/home/u/.local/share/jupyter/kernels")
        #expect(try KernelSpecInstaller.kernelsDirectory(for: .user, environment: ["HOME": "/home/u", "XDG_DATA_HOME": "/xdg"])
            == "/xdg/jupyter/kernels")
        #endif
        #expect(throws: KernelSpecInstallError.self) { try KernelSpecInstaller.kernelsDirectory(for: .user, environment: [:]) }
    }

    @Test func sysPrefixAsksPython() throws {
        let environment = ProcessInfo.processInfo.environment
        let directory = try KernelSpecInstaller.kernelsDirectory(for: .sysPrefix(python: "python3"), environment: environment)
        #expect(directory.hasPrefix("/") && directory.hasSuffix("/share/jupyter/kernels"))
        #expect(throws: KernelSpecInstallError.self) {
            try KernelSpecInstaller.kernelsDirectory(for: .sysPrefix(python: "/nonexistent/python"), environment: environment)
        }
    }

    @Test func codePointHelpersClampAndRoundTrip() {
        let text = "a😀e\u{301}b"
        #expect(CodePoints.count(text) == 5)
        for offset in 0...5 {
            #expect(CodePoints.offset(of: CodePoints.index(in: text, offset: offset), in: text) == offset)
        }
        #expect(CodePoints.index(in: text, offset: -3) == text.startIndex)
        #expect(CodePoints.index(in: text, offset: 50) == text.endIndex)
    }
}

@Suite struct KernelSpecEnvironmentTests {
    @Test func aHistoryLocationIsTheKernelsGRADBOOK_DB() throws {
        let spec = KernelSpec.gradbook(executablePath: "/bin/gradbook", history: "service=gradbook")
        let json = try JSONParser.parse(spec.kernelJSON)
        #expect(json["env"] == ["GRADBOOK_DB": "service=gradbook"])
        #expect(try JSONParser.parse(KernelSpec.gradbook(executablePath: "/bin/gradbook").kernelJSON)["env"] == nil)
    }
}
