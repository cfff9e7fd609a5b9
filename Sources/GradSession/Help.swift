/// `%help`: the language and the magics on one screen.
enum Help {
    static let text = """
    gradbook: computation graphs and backpropagation, recorded in SQLite.

    Statements
      name = expr          define a node (redefining a name recomputes what depends on it)
      a, b = expr          unpack several results: X, y = moons(100, seed=1)
      w = param(expr)      a trainable leaf
      backward J           gradients of the scalar J for every node it depends on
      expr                 show a value; a trailing ; shows nothing
      name?                a node's definition, value and gradient, or a built-in's help

    Expressions
      + - * / (elementwise, NumPy broadcasting), @ (matrix product), ^ or ** (power), unary -
      x[i], x[i, j], x[:, j], x[a:b]; x.T, x.shape, w.grad; literals 2, 0.5, [1, 2], [[1, 2], [3, 4]]

    Functions
      exp log sqrt abs sin cos tanh sigmoid relu pow max min (elementwise and reductions)
      sum mean max min logsumexp (axis=, keepdims=); reshape transpose flatten concat stack
      softmax log_softmax mse cross_entropy one_hot; zeros ones full eye arange linspace randn rand
      moons blobs load_csv; grad(J, x, mode="reverse"|"forward"), jvp(J, x, v), gradcheck(J),
      train(J, steps=, lr=, optimizer=), print(...)

    Magics
      %sql QUERY / %%sql   query the run history (read-only unless --write)
      %plot QUERY / %%plot a line chart of a query: x first, then a column per series,
                           or x, name, y (one series per name); --logy for a log y axis
      %explain J           the forward steps and the chain rule, step by step
      %explain J --forward w   forward-mode differentiation from w, left to right
      %graph J             the graph of J (SVG in Jupyter; --dot for Graphviz source)
      %rerun RUN [--store] rebuild run RUN from the database alone, re-run its backward pass, compare bit for bit
                           (a training step between checkpoints: re-executed from the checkpoint before it);
                           --store keeps the step's values and gradients in full for SQL
      %record POLICY [--checkpoint-every K]
                           what runs store: params (default: train() stores summaries at every step and
                           params + optimizer state in full at the first, every K-th (100) and last step),
                           all (everything in full), scalars, none
      %diff A B            nodes added, removed or redefined between two runs; what moved most
      %time STATEMENT      wall time and steps (node evaluations) of the runs it made
      %runs  %who  %history  %reset  %clear  %help
    """
}
