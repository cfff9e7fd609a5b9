/// The seed's graph (SPEC, the worked example), as the notebooks of several end-to-end tests
/// begin: J = 2, dJ/dw = -4, dJ/db = 2.
enum SeedSource {
    static let definitions = """
        x = -2
        w = param(2)
        b = param(8)
        y = 2
        c = w * x
        a = c + b
        d = a - y
        J = 0.5 * d^2
        """
}
