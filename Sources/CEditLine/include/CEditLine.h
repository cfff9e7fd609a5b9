#ifndef CEDITLINE_H
#define CEDITLINE_H

// libedit's native API is variadic (el_set, el_get, history) and its readline emulation is
// driven through global variables; Swift can call neither safely. These plain functions wrap
// one line editor (EditLine + History) and the SIGINT plumbing a REPL needs.

#ifdef __cplusplus
extern "C" {
#endif

/// One line editor on standard input/output with its own history list.
typedef struct CEditor CEditor;

typedef enum {
    /// A line was entered; `line` holds it without the final newline.
    CEDIT_LINE = 0,
    /// Ctrl-D on an empty line, or standard input ended.
    CEDIT_END_OF_INPUT = 1,
    /// Ctrl-C: the line was abandoned (it stays on screen, followed by ^C).
    CEDIT_INTERRUPTED = 2,
    /// A read error other than an interrupt.
    CEDIT_ERROR = 3,
} CEditStatus;

/// What the completion callback asks the editor to do after it has edited the line.
typedef enum {
    /// Redraw the line.
    CEDIT_COMPLETION_REFRESH = 0,
    /// Text was printed below the line: redraw the prompt and line under it.
    CEDIT_COMPLETION_REDISPLAY = 1,
    /// Nothing to complete: ring the bell.
    CEDIT_COMPLETION_BEEP = 2,
} CEditCompletionAction;

/// Called on Tab with the current line (UTF-8, `length` bytes) and the cursor's byte offset.
/// It may call `cedit_replace_before_cursor` and `cedit_print_below` on `editor`.
typedef CEditCompletionAction (*CEditCompletionFunction)(void *context, CEditor *editor,
                                                         const char *line, int length, int cursor);

/// NULL when standard input or output is not a terminal libedit can drive.
CEditor *cedit_create(const char *program, int history_size);
void cedit_destroy(CEditor *editor);

/// The prompt for the next read. Bytes between two \001 characters take no room on screen
/// (colour escapes), so the cursor is placed correctly.
void cedit_set_prompt(CEditor *editor, const char *prompt);
void cedit_set_completion(CEditor *editor, CEditCompletionFunction function, void *context);

/// Reads one line with editing. `initial` (may be NULL) is put in the line as if typed.
/// On CEDIT_LINE, `*line` points at a NUL-terminated copy owned by the editor, valid until
/// the next read.
CEditStatus cedit_read_line(CEditor *editor, const char *initial, const char **line, int *length);

/// Adds an entry (it may span several lines) to the end of the history list.
void cedit_history_add(CEditor *editor, const char *entry);
int cedit_history_count(CEditor *editor);

/// For the completion callback: deletes `count` characters before the cursor, then inserts `text`.
void cedit_replace_before_cursor(CEditor *editor, int count, const char *text);
/// For the completion callback: prints `text` on the lines below the one being edited.
void cedit_print_below(CEditor *editor, const char *text);

/// Installs a SIGINT handler (SA_RESTART) that only writes one byte to a pipe, and returns the
/// pipe's read end, or -1. The handler is installed once per process; later calls return the
/// same descriptor.
int cedit_interrupt_install(void);
/// Blocks until a SIGINT arrives; returns 1 for each, 0 if the pipe failed.
int cedit_interrupt_wait(int descriptor);

/// The width of the terminal on `descriptor` in columns, 80 when it cannot be asked.
int cedit_terminal_columns(int descriptor);

#ifdef __cplusplus
}
#endif

#endif
