import Foundation
import GradJSON

/// `.ipynb` files: nbformat 4 (reads 4.x, writes 4.5 with cell ids), written the way nbformat
/// and nbclient write them: sorted keys, one-space indent, multi-line text as lists of lines.
extension Notebook {
    public init(ipynb data: Data) throws {
        guard case .object(let root) = try JSONValue.parse(notebook: data) else {
            throw NotebookError.invalidNotebook("the top level is not a JSON object")
        }
        guard let major = root["nbformat"]?.intValue, major == 4 else {
            throw NotebookError.invalidNotebook("only nbformat 4 is supported (found \(root["nbformat"]?.serialized(indent: nil) ?? "none"))")
        }
        guard case .array(let rawCells)? = root["cells"] else {
            throw NotebookError.invalidNotebook("no cells array")
        }
        var cells: [NotebookCell] = []
        for (index, raw) in rawCells.enumerated() {
            guard case .object(var fields) = raw else {
                throw NotebookError.invalidNotebook("cell \(index + 1) is not an object")
            }
            guard let typeName = fields.removeValue(forKey: "cell_type")?.stringValue,
                  let kind = CellKind(rawValue: typeName) else {
                throw NotebookError.invalidNotebook("cell \(index + 1) has no valid cell_type")
            }
            let source = try Notebook.multilineText(fields.removeValue(forKey: "source") ?? .string(""),
                                                    what: "cell \(index + 1) source")
            var metadata = fields.removeValue(forKey: "metadata")?.objectValue ?? [:]
            let tags = metadata.removeValue(forKey: "tags")?.arrayValue?.compactMap(\.stringValue) ?? []
            let id = fields.removeValue(forKey: "id")?.stringValue
            var executionCount: Int?
            var outputs: [NotebookOutput] = []
            if kind == .code {
                executionCount = fields.removeValue(forKey: "execution_count")?.intValue
                for output in fields.removeValue(forKey: "outputs")?.arrayValue ?? [] {
                    outputs.append(try Notebook.output(output, cell: index + 1))
                }
            }
            cells.append(NotebookCell(kind: kind, source: source, tags: tags, metadata: metadata, outputs: outputs,
                                      executionCount: executionCount, id: id, sourceLine: 1, extra: fields))
        }
        self.init(cells: cells, metadata: root["metadata"]?.objectValue ?? [:], nbformat: major,
                  nbformatMinor: root["nbformat_minor"]?.intValue ?? 0)
    }

    /// The notebook as nbformat 4.5 JSON text (with a final newline, as nbformat writes it).
    public func ipynbText() -> String {
        var usedIDs = Set(cells.compactMap(\.id))
        var cellValues: [JSONValue] = []
        for (index, cell) in cells.enumerated() {
            var fields = cell.extra
            fields["cell_type"] = .string(cell.kind.rawValue)
            var id = cell.id ?? ""
            if id.isEmpty {
                id = Notebook.newCellID(index: index, source: cell.source, avoiding: usedIDs)
                usedIDs.insert(id)
            }
            fields["id"] = .string(id)
            var metadata = cell.metadata
            if !cell.tags.isEmpty { metadata["tags"] = .array(cell.tags.map(JSONValue.string)) }
            fields["metadata"] = .object(metadata)
            fields["source"] = Notebook.lines(cell.source)
            if cell.kind == .code {
                fields["execution_count"] = cell.executionCount.map(JSONValue.int) ?? .null
                fields["outputs"] = .array(cell.outputs.map(Notebook.json))
            }
            cellValues.append(.object(fields))
        }
        let root: JSONValue = .object([
            "cells": .array(cellValues),
            "metadata": .object(metadata),
            "nbformat": .int(4),
            "nbformat_minor": .int(max(nbformatMinor, 5)),
        ])
        return root.serialized(indent: 1) + "\n"
    }

    // MARK: outputs

    private static func output(_ value: JSONValue, cell: Int) throws -> NotebookOutput {
        guard case .object(let fields) = value, let type = fields["output_type"]?.stringValue else {
            throw NotebookError.invalidNotebook("cell \(cell) has an output without output_type")
        }
        switch type {
        case "stream":
            return .stream(name: fields["name"]?.stringValue ?? "stdout",
                           text: try multilineText(fields["text"] ?? .string(""), what: "cell \(cell) stream text"))
        case "execute_result":
            return .executeResult(executionCount: fields["execution_count"]?.intValue,
                                  data: try mimeBundle(fields["data"], cell: cell),
                                  metadata: fields["metadata"]?.objectValue ?? [:])
        case "display_data":
            return .displayData(data: try mimeBundle(fields["data"], cell: cell), metadata: fields["metadata"]?.objectValue ?? [:])
        case "error":
            return .error(name: fields["ename"]?.stringValue ?? "", value: fields["evalue"]?.stringValue ?? "",
                          traceback: fields["traceback"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        default:
            throw NotebookError.invalidNotebook("cell \(cell) has an output of unknown type \(type)")
        }
    }

    /// Text MIME types are joined into one string; JSON types (`application/json`,
    /// `application/vnd.*+json`) stay JSON.
    private static func mimeBundle(_ value: JSONValue?, cell: Int) throws -> [String: JSONValue] {
        var bundle: [String: JSONValue] = [:]
        for (mime, content) in value?.objectValue ?? [:] {
            bundle[mime] = isJSONMime(mime) ? content : .string(try multilineText(content, what: "cell \(cell) \(mime)"))
        }
        return bundle
    }

    static func isJSONMime(_ mime: String) -> Bool {
        mime == "application/json" || (mime.hasPrefix("application/") && mime.hasSuffix("+json"))
    }

    static func json(_ output: NotebookOutput) -> JSONValue {
        switch output {
        case let .stream(name, text):
            return .object(["output_type": .string("stream"), "name": .string(name), "text": lines(text)])
        case let .executeResult(executionCount, data, metadata):
            return .object(["output_type": .string("execute_result"),
                            "execution_count": executionCount.map(JSONValue.int) ?? .null,
                            "data": .object(splitBundle(data)), "metadata": .object(metadata)])
        case let .displayData(data, metadata):
            return .object(["output_type": .string("display_data"), "data": .object(splitBundle(data)),
                            "metadata": .object(metadata)])
        case let .error(name, value, traceback):
            return .object(["output_type": .string("error"), "ename": .string(name), "evalue": .string(value),
                            "traceback": .array(traceback.map(JSONValue.string))])
        }
    }

    private static func splitBundle(_ bundle: [String: JSONValue]) -> [String: JSONValue] {
        bundle.mapValues { value in
            if case .string(let text) = value { return lines(text) }
            return value
        }
    }

    // MARK: text

    /// nbformat stores multi-line strings as a list of lines, each keeping its `\n`.
    static func lines(_ text: String) -> JSONValue {
        var result: [JSONValue] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == "\n" || character == "\r\n" {
                result.append(.string(current))
                current = ""
            }
        }
        if !current.isEmpty { result.append(.string(current)) }
        return .array(result)
    }

    static func multilineText(_ value: JSONValue, what: String) throws -> String {
        switch value {
        case .string(let text): return text
        case .array(let parts):
            var text = ""
            for part in parts {
                guard case .string(let line) = part else { throw NotebookError.invalidNotebook("\(what) is not text") }
                text += line
            }
            return text
        default:
            throw NotebookError.invalidNotebook("\(what) is not text")
        }
    }

    /// A stable 8-hex-digit id (nbformat uses random ones; stable ones keep saved files diffable).
    static func newCellID(index: Int, source: String, avoiding used: Set<String>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        for byte in String(index).utf8 { mix(byte) }
        mix(0)
        for byte in source.utf8 { mix(byte) }
        while true {
            let id = String(hash & 0xFFFF_FFFF, radix: 16)
            let padded = String(repeating: "0", count: 8 - id.count) + id
            if !used.contains(padded) { return padded }
            mix(0x2A)
        }
    }
}
