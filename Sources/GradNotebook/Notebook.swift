import Foundation
import GradJSON
import GradLang

public enum CellKind: String, Sendable, CaseIterable {
    case code, markdown, raw
}

/// One output of a code cell, as nbformat 4 stores it (and nbclient writes it).
public enum NotebookOutput: Sendable, Hashable {
    /// `name` is `stdout` or `stderr`.
    case stream(name: String, text: String)
    /// The cell's result. `data` maps MIME types to content (text as a string, JSON types as JSON).
    case executeResult(executionCount: Int?, data: [String: JSONValue], metadata: [String: JSONValue])
    case displayData(data: [String: JSONValue], metadata: [String: JSONValue])
    case error(name: String, value: String, traceback: [String])
}

public struct NotebookCell: Sendable, Hashable {
    public var kind: CellKind
    public var source: String
    /// `parameters`, `injected-parameters`, ... (nbformat keeps them in `metadata.tags`).
    public var tags: [String]
    /// Cell metadata other than tags, kept as read.
    public var metadata: [String: JSONValue]
    public var outputs: [NotebookOutput]
    public var executionCount: Int?
    /// nbformat 4.5 cell id; nil until one is written.
    public var id: String?
    /// 1-based line of the file where the cell's source starts (for `file:line:col` errors).
    public var sourceLine: Int
    /// Other keys of an .ipynb cell (`attachments`, ...), kept as read.
    public var extra: [String: JSONValue]
    /// For .grad files: false for text before the first `# %%` marker, which is written back
    /// without a marker.
    public var hasMarker: Bool

    public init(kind: CellKind, source: String, tags: [String] = [], metadata: [String: JSONValue] = [:],
                outputs: [NotebookOutput] = [], executionCount: Int? = nil, id: String? = nil,
                sourceLine: Int = 1, extra: [String: JSONValue] = [:], hasMarker: Bool = true) {
        self.kind = kind
        self.source = source
        self.tags = tags
        self.metadata = metadata
        self.outputs = outputs
        self.executionCount = executionCount
        self.id = id
        self.sourceLine = sourceLine
        self.extra = extra
        self.hasMarker = hasMarker
    }
}

public enum NotebookFormat: String, Sendable, CaseIterable {
    /// `.grad`: jupytext's percent format.
    case percent
    /// `.ipynb`: nbformat 4.
    case ipynb

    public init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "grad": self = .percent
        case "ipynb": self = .ipynb
        default: return nil
        }
    }
}

/// A notebook as plain values; both file formats map to it.
public struct Notebook: Sendable, Hashable {
    public var cells: [NotebookCell]
    /// Notebook metadata (kernelspec, language_info, anything else), kept as read.
    public var metadata: [String: JSONValue]
    public var nbformat: Int
    public var nbformatMinor: Int

    public init(cells: [NotebookCell], metadata: [String: JSONValue] = [:], nbformat: Int = 4, nbformatMinor: Int = 5) {
        self.cells = cells
        self.metadata = metadata
        self.nbformat = nbformat
        self.nbformatMinor = nbformatMinor
    }

    /// The kernelspec gradbook writes into notebooks it saves.
    public static let kernelspec: JSONValue = .object([
        "name": .string("gradbook"), "display_name": .string("gradbook"), "language": .string("gradbook"),
    ])

    public static let languageInfo: JSONValue = .object([
        "name": .string("gradbook"), "file_extension": .string(".grad"), "mimetype": .string("text/x-gradbook"),
        "pygments_lexer": .string("python"), "codemirror_mode": .string("python"),
    ])

    /// Names gradbook as the notebook's kernel, keeping other metadata.
    public mutating func setGradbookKernel() {
        metadata["kernelspec"] = Notebook.kernelspec
        metadata["language_info"] = Notebook.languageInfo
    }

    // MARK: files

    public static func read(path: String) throws -> Notebook {
        guard let format = NotebookFormat(path: path) else { throw NotebookError.unknownFormat(path: path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NotebookError.unreadable(path: path, reason: Notebook.reason(error))
        }
        // Both formats are UTF-8 text (nbformat's JSON too); a bad byte is reported where it is,
        // before anything runs, rather than read as U+FFFD.
        let bytes = [UInt8](data)
        if let bad = InvalidUTF8.find(in: bytes) {
            let rendered = bad.diagnostic.rendered(source: String(decoding: bytes, as: UTF8.self), origin: path)
            throw NotebookError.notUTF8(path: path, line: bad.line, column: bad.column, rendered: rendered)
        }
        switch format {
        case .percent:
            return Notebook(percentText: String(decoding: bytes, as: UTF8.self))
        case .ipynb:
            do {
                return try Notebook(ipynb: data)
            } catch let error as NotebookError {
                throw NotebookError.unreadable(path: path, reason: error.description)
            } catch {
                throw NotebookError.unreadable(path: path, reason: "invalid JSON (\(Notebook.reason(error)))")
            }
        }
    }

    /// Writes the notebook in the format its extension names, replacing the file atomically.
    public func write(to path: String) throws {
        guard let format = NotebookFormat(path: path) else { throw NotebookError.unknownFormat(path: path) }
        let text = format == .percent ? percentText() : ipynbText()
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw NotebookError.unreadable(path: path, reason: Notebook.reason(error))
        }
    }

    private static func reason(_ error: Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return (error as NSError).localizedDescription
    }
}
