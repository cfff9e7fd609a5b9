import CEditLine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How wide terminal output such as a chart may be: the terminal's width when standard output
/// is one (asked each time, so a resized window is followed), else `$COLUMNS` as shells and
/// Python's `shutil.get_terminal_size` use it, else 80.
public enum TerminalWidth {
    public static func current() -> Int {
        if isatty(STDOUT_FILENO) == 1 { return Int(cedit_terminal_columns(STDOUT_FILENO)) }
        return fromEnvironment(getenv("COLUMNS").map { String(cString: $0) })
    }

    static func fromEnvironment(_ columns: String?) -> Int {
        guard let columns, let width = Int(columns), width > 0 else { return 80 }
        return width
    }
}
