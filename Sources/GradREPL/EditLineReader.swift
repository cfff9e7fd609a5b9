import CEditLine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Line editing through libedit: emacs keys, Home/End, Ctrl-R search, history, Tab completion.
final class EditLineReader: LineReader {
    private let editor: OpaquePointer
    private let colors: Bool
    var completion: ((String) -> Completion)?

    /// Nil when standard input or output is not a terminal libedit can drive.
    init?(program: String, historySize: Int, colors: Bool) {
        guard let editor = cedit_create(program, Int32(clamping: historySize)) else { return nil }
        self.editor = editor
        self.colors = colors
        cedit_set_completion(editor, { context, editor, line, length, cursor in
            guard let context, let editor, let line else { return CEDIT_COMPLETION_BEEP }
            let reader = Unmanaged<EditLineReader>.fromOpaque(context).takeUnretainedValue()
            return reader.complete(in: editor, line: line, length: Int(length), cursor: Int(cursor))
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        cedit_destroy(editor)
    }

    func readLine(prompt: StyledText, initialText: String) -> LineInput {
        cedit_set_prompt(editor, prompt.renderedForLineEditor(colors: colors, marker: "\u{1}"))
        var line: UnsafePointer<CChar>?
        var length: Int32 = 0
        let status = initialText.isEmpty
            ? cedit_read_line(editor, nil, &line, &length)
            : cedit_read_line(editor, initialText, &line, &length)
        switch status {
        case CEDIT_LINE:
            guard let line else { return .line("") }
            return LineInput.decoding(Array(UnsafeRawBufferPointer(start: line, count: max(0, Int(length)))))
        case CEDIT_INTERRUPTED:
            return .interrupted
        default:
            return .endOfInput
        }
    }

    func addToHistory(_ entry: String) {
        cedit_history_add(editor, entry)
    }

    var historyCount: Int { Int(cedit_history_count(editor)) }

    /// Tab: insert the only candidate or the start all candidates share; when that adds
    /// nothing, list the candidates below the line.
    private func complete(in editor: OpaquePointer, line: UnsafePointer<CChar>, length: Int, cursor: Int) -> CEditCompletionAction {
        guard let completion else { return CEDIT_COMPLETION_BEEP }
        let bytes = UnsafeRawBufferPointer(start: line, count: max(0, length))
        let before = String(decoding: bytes.prefix(max(0, min(cursor, length))), as: UTF8.self)
        let result = completion(before)
        guard let insertion = result.insertion else { return CEDIT_COMPLETION_BEEP }
        let typed = String(before.suffix(result.replacing))
        if insertion != typed && insertion.count >= typed.count {
            cedit_replace_before_cursor(editor, Int32(clamping: result.replacing), insertion)
            return CEDIT_COMPLETION_REFRESH
        }
        guard result.candidates.count > 1 else { return CEDIT_COMPLETION_REFRESH }
        let width = Int(cedit_terminal_columns(STDOUT_FILENO))
        cedit_print_below(editor, CompletionListing.text(result.candidates, width: width))
        return CEDIT_COMPLETION_REDISPLAY
    }
}
