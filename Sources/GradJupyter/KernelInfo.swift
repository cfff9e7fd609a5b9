import GradJSON

/// What `kernel_info_reply` says about the kernel and its language. Built by the interpreter;
/// the protocol layer adds protocol_version and status.
public struct KernelInfo: Sendable, Equatable {
    public var implementation: String
    public var implementationVersion: String
    public var languageInfo: LanguageInfo
    public var banner: String
    public var helpLinks: [HelpLink]

    public init(implementation: String, implementationVersion: String, languageInfo: LanguageInfo, banner: String,
                helpLinks: [HelpLink] = []) {
        self.implementation = implementation
        self.implementationVersion = implementationVersion
        self.languageInfo = languageInfo
        self.banner = banner
        self.helpLinks = helpLinks
    }

    var replyContent: [String: JSONValue] {
        [
            "status": "ok",
            "protocol_version": .string(MessageCodec.protocolVersion),
            "implementation": .string(implementation),
            "implementation_version": .string(implementationVersion),
            "language_info": .object(languageInfo.json),
            "banner": .string(banner),
            "help_links": .array(helpLinks.map { ["text": .string($0.text), "url": .string($0.url)] }),
            "debugger": false,
        ]
    }
}

public struct LanguageInfo: Sendable, Equatable {
    public var name: String
    public var version: String
    public var mimetype: String
    public var fileExtension: String
    /// A Pygments lexer name, used by nbconvert and Sphinx to highlight the notebook's code.
    public var pygmentsLexer: String
    /// A CodeMirror mode: a name (`"python"`) or an object (`{"name": "python", "version": 3}`).
    public var codemirrorMode: JSONValue
    public var nbconvertExporter: String?

    public init(name: String, version: String, mimetype: String, fileExtension: String, pygmentsLexer: String,
                codemirrorMode: JSONValue, nbconvertExporter: String? = nil) {
        self.name = name
        self.version = version
        self.mimetype = mimetype
        self.fileExtension = fileExtension
        self.pygmentsLexer = pygmentsLexer
        self.codemirrorMode = codemirrorMode
        self.nbconvertExporter = nbconvertExporter
    }

    var json: [String: JSONValue] {
        var object: [String: JSONValue] = [
            "name": .string(name),
            "version": .string(version),
            "mimetype": .string(mimetype),
            "file_extension": .string(fileExtension),
            "pygments_lexer": .string(pygmentsLexer),
            "codemirror_mode": codemirrorMode,
        ]
        if let nbconvertExporter { object["nbconvert_exporter"] = .string(nbconvertExporter) }
        return object
    }
}

public struct HelpLink: Sendable, Equatable {
    public var text: String
    public var url: String

    public init(text: String, url: String) {
        self.text = text
        self.url = url
    }
}
