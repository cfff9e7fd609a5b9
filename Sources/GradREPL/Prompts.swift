/// IPython's prompts: `In [3]: `, a continuation `   ...: ` as wide as the prompt it follows,
/// and `Out[3]: ` before a cell's value.
public enum Prompts {
    public static func input(_ number: Int) -> StyledText {
        StyledText([("In [", .green), ("\(number)", .boldGreen), ("]: ", .green)])
    }

    public static func continuation(_ number: Int) -> StyledText {
        let width = input(number).width
        return StyledText([(String(repeating: " ", count: max(0, width - 5)), nil), ("...: ", .green)])
    }

    public static func output(_ number: Int) -> StyledText {
        StyledText([("Out[", .red), ("\(number)", .boldRed), ("]: ", .red)])
    }

    /// `Out[n]: value`, with a value of several lines starting on its own line (as IPython
    /// does for NumPy arrays) so its columns stay aligned.
    public static func result(_ value: String, number: Int, colors: Bool) -> String {
        let prefix = output(number).rendered(colors: colors)
        return prefix + (value.contains("\n") ? "\n" : "") + value + "\n"
    }
}
