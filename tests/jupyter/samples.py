"""Code samples for the kernel under test, one place for all the test files.

Each is gradbook code (the cell language of SPEC §1) that makes the kernel do what the test needs.
"""

LANGUAGE_NAME = "gradbook"
FILE_EXTENSION = ".grad"

# jupyter_kernel_test.KernelTests
HELLO_WORLD = 'print("hello, world")'           # writes "hello, world" to stdout
STDERR = "z = log(-1)"                          # a NaN is a warning on stderr
COMPLETION_SAMPLES = [{"text": "gradch", "matches": {"gradcheck"}}, {"text": "x = 1\nsigm", "matches": {"sigmoid"}}]
COMPLETE_CODE = ["1 + 2", "x = (1 + 2) * 3"]
INCOMPLETE_CODE = ["(1 + 2", "x = ((3)"]
INVALID_CODE = ["1 + 2)"]
PAGE_SOMETHING = "exp?"                         # an execute_reply payload with source "page"
GENERATE_ERROR = "nope + 1"                     # exactly one IOPub output: the error
EXECUTE_RESULT = [{"code": "6 * 7", "result": "42"}, {"code": "1 + 2 * 3", "result": "7"},
                  {"code": "(1 + 2) * -3", "result": "-9"}]
DISPLAY_DATA = [{"code": "%sql SELECT 6 * 7 AS answer", "mime": "text/plain"},
                {"code": "%sql SELECT 6 * 7 AS answer", "mime": "text/html"}]
HISTORY_PATTERN = "6 ?*"                        # a glob matching exactly one of EXECUTE_RESULT's codes
HISTORY_OPERATIONS = ("tail", "range", "search")
INSPECT_SAMPLE = "exp"                          # something inspect finds
CLEAR_OUTPUT = "%clear"

# Our own tests
SIX_TIMES_SEVEN = "6 * 7"                       # the latency benchmark's cell; text/plain "42"
LONG_RUNNING = "w_long = param(1)\nL_long = (w_long - 2)^2\ntrain(L_long, steps=100000000, lr=0.001)"
INTERRUPTED_ENAME = "KeyboardInterrupt"         # the ename of an interrupted cell
DEFINE_X = "x = 6"                              # defines x (as 6) for the next cell...
USE_X = "x * 7"                                 # ...whose result is 42
PARAMETER_CELL = "a = 1"                        # a papermill `parameters` cell defining `a`
USE_PARAMETER = "a * 7"                         # 42 once `a` is overridden with 6
IN_PLACE_UPDATE = "w_p = param(1)\nL_p = (w_p - 2)^2\ntrain(L_p, steps=3, lr=0.1)"   # progress display updated in place
SLOW_THEN_FAIL = "w_s = param(1)\nL_s = (w_s - 2)^2\ntrain(L_s, steps=4000, lr=0.001)\nnope"   # fails after ~0.5 s
