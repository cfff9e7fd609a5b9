/// Whole numbers as prose writes them, thousands grouped with commas (1,001 and 110,000), for
/// the counts of steps and passes that `gradcheck` and `%time` report.
public enum CountText {
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }
}
