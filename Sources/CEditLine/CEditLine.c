#include "CEditLine.h"

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct CEditor {
    EditLine *editLine;
    History *history;
    char *prompt;
    char *line;
    size_t lineCapacity;
    /// Set by the Ctrl-C binding during el_gets, read when it returns.
    int interrupted;
    CEditCompletionFunction complete;
    void *completeContext;
};

static CEditor *editor_of(EditLine *editLine) {
    void *data = NULL;
    if (el_get(editLine, EL_CLIENTDATA, &data) != 0) return NULL;
    return (CEditor *)data;
}

static char *prompt_of(EditLine *editLine) {
    static char empty[] = "";
    CEditor *editor = editor_of(editLine);
    return editor != NULL && editor->prompt != NULL ? editor->prompt : empty;
}

// Ctrl-C reaches us as a key (ISIG is off while editing, so no signal and no tty flush):
// mark the line abandoned, show ^C after it, and end the read with a newline so libedit
// moves below the line and restores the terminal as for any other line.
static unsigned char on_interrupt(EditLine *editLine, int key) {
    (void)key;
    CEditor *editor = editor_of(editLine);
    if (editor != NULL) editor->interrupted = 1;
    const LineInfoW *info = el_wline(editLine);
    if (info != NULL) el_cursor(editLine, (int)(info->lastchar - info->cursor));
    el_insertstr(editLine, "^C");
    el_push(editLine, "\n");
    return CC_REFRESH;
}

static unsigned char on_complete(EditLine *editLine, int key) {
    (void)key;
    CEditor *editor = editor_of(editLine);
    const LineInfo *info = el_line(editLine);
    if (editor == NULL || editor->complete == NULL || info == NULL) return CC_ERROR;
    size_t length = (size_t)(info->lastchar - info->buffer);
    int cursor = (int)(info->cursor - info->buffer);
    char *copy = malloc(length + 1);
    if (copy == NULL) return CC_ERROR;
    memcpy(copy, info->buffer, length);
    copy[length] = '\0';
    CEditCompletionAction action = editor->complete(editor->completeContext, editor, copy, (int)length, cursor);
    free(copy);
    switch (action) {
    case CEDIT_COMPLETION_REFRESH: return CC_REFRESH;
    case CEDIT_COMPLETION_REDISPLAY: return CC_REDISPLAY;
    default: return CC_REFRESH_BEEP;
    }
}

// With ISIG off Ctrl-Z is a key too; libedit's own SIGTSTP handling (EL_SIGNAL) restores the
// terminal before the stop and redraws the line after SIGCONT.
static unsigned char on_suspend(EditLine *editLine, int key) {
    (void)editLine;
    (void)key;
    kill(0, SIGTSTP);
    return CC_NORM;
}

// libedit decodes input with the C library's multibyte functions: without a UTF-8 LC_CTYPE it
// would drop every non-ASCII byte typed. Only LC_CTYPE changes; number formatting is untouched.
static void use_utf8_input(void) {
    if (setlocale(LC_CTYPE, "") != NULL && strcmp(nl_langinfo(CODESET), "UTF-8") == 0) return;
    setlocale(LC_CTYPE, "C.UTF-8");
}

CEditor *cedit_create(const char *program, int history_size) {
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) return NULL;
    use_utf8_input();
    CEditor *editor = calloc(1, sizeof(CEditor));
    if (editor == NULL) return NULL;
    editor->editLine = el_init(program, stdin, stdout, stderr);
    editor->history = history_init();
    if (editor->editLine == NULL || editor->history == NULL) {
        cedit_destroy(editor);
        return NULL;
    }
    int editing = 0;
    if (el_get(editor->editLine, EL_EDITMODE, &editing) != 0 || !editing) {
        cedit_destroy(editor);
        return NULL;
    }
    HistEvent event;
    history(editor->history, &event, H_SETSIZE, history_size > 0 ? history_size : 1000);
    history(editor->history, &event, H_SETUNIQUE, 1);

    EditLine *e = editor->editLine;
    el_set(e, EL_CLIENTDATA, (void *)editor);
    el_set(e, EL_EDITOR, "emacs");
    el_set(e, EL_SIGNAL, 1);
    el_set(e, EL_HIST, history, editor->history);
    el_set(e, EL_PROMPT_ESC, prompt_of, '\1');
    el_set(e, EL_SETTY, "-d", "-isig", NULL);

    el_set(e, EL_ADDFN, "gradbook-interrupt", "Abandon the line", on_interrupt);
    el_set(e, EL_BIND, "^C", "gradbook-interrupt", NULL);
    el_set(e, EL_ADDFN, "gradbook-complete", "Complete names, keyword arguments and magics", on_complete);
    el_set(e, EL_BIND, "^I", "gradbook-complete", NULL);
    el_set(e, EL_ADDFN, "gradbook-suspend", "Suspend the process", on_suspend);
    el_set(e, EL_BIND, "^Z", "gradbook-suspend", NULL);

    // Readline's meanings, which IPython users expect, where libedit's emacs map differs.
    el_set(e, EL_BIND, "^R", "em-inc-search-prev", NULL);
    el_set(e, EL_BIND, "^W", "ed-delete-prev-word", NULL);
    el_set(e, EL_BIND, "^U", "vi-kill-line-prev", NULL);
    static const char *const beginning[] = {"\\e[H", "\\eOH", "\\e[1~", "\\e[7~"};
    static const char *const end[] = {"\\e[F", "\\eOF", "\\e[4~", "\\e[8~"};
    for (size_t i = 0; i < sizeof(beginning) / sizeof(beginning[0]); i++) {
        el_set(e, EL_BIND, beginning[i], "ed-move-to-beg", NULL);
        el_set(e, EL_BIND, end[i], "ed-move-to-end", NULL);
    }
    el_set(e, EL_BIND, "\\e[3~", "ed-delete-next-char", NULL);
    el_set(e, EL_BIND, "\\e[1;5C", "em-next-word", NULL);
    el_set(e, EL_BIND, "\\e[1;5D", "ed-prev-word", NULL);
    el_set(e, EL_BIND, "\\e[1;3C", "em-next-word", NULL);
    el_set(e, EL_BIND, "\\e[1;3D", "ed-prev-word", NULL);
    return editor;
}

void cedit_destroy(CEditor *editor) {
    if (editor == NULL) return;
    if (editor->editLine != NULL) el_end(editor->editLine);
    if (editor->history != NULL) history_end(editor->history);
    free(editor->prompt);
    free(editor->line);
    free(editor);
}

void cedit_set_prompt(CEditor *editor, const char *prompt) {
    char *copy = strdup(prompt != NULL ? prompt : "");
    if (copy == NULL) return;
    free(editor->prompt);
    editor->prompt = copy;
}

void cedit_set_completion(CEditor *editor, CEditCompletionFunction function, void *context) {
    editor->complete = function;
    editor->completeContext = context;
}

/// Copies the line without its newline into the editor's buffer; -1 when memory ran out.
static int keep_line(CEditor *editor, const char *text, int count) {
    size_t length = count > 0 ? (size_t)count : 0;
    if (length > 0 && text[length - 1] == '\n') length--;
    if (length + 1 > editor->lineCapacity) {
        char *grown = realloc(editor->line, length + 1);
        if (grown == NULL) return -1;
        editor->line = grown;
        editor->lineCapacity = length + 1;
    }
    memcpy(editor->line, text, length);
    editor->line[length] = '\0';
    return (int)length;
}

CEditStatus cedit_read_line(CEditor *editor, const char *initial, const char **line, int *length) {
    editor->interrupted = 0;
    // libedit prints the prompt before it switches the terminal to raw mode; a key typed in
    // between (Ctrl-D right after the prompt appears) would meet the cooked terminal and be lost.
    el_set(editor->editLine, EL_PREP_TERM, 1);
    if (initial != NULL && initial[0] != '\0') el_push(editor->editLine, initial);
    int count = 0;
    errno = 0;
    const char *text = el_gets(editor->editLine, &count);
    if (editor->interrupted) {
        editor->interrupted = 0;
        return CEDIT_INTERRUPTED;
    }
    if (text == NULL) {
        if (count < 0) return errno == EINTR ? CEDIT_INTERRUPTED : CEDIT_ERROR;
        return CEDIT_END_OF_INPUT;
    }
    int kept = keep_line(editor, text, count);
    if (kept < 0) return CEDIT_ERROR;
    *line = editor->line;
    *length = kept;
    return CEDIT_LINE;
}

void cedit_history_add(CEditor *editor, const char *entry) {
    HistEvent event;
    history(editor->history, &event, H_ENTER, entry);
}

int cedit_history_count(CEditor *editor) {
    HistEvent event;
    if (history(editor->history, &event, H_GETSIZE) == -1) return 0;
    return event.num;
}

void cedit_replace_before_cursor(CEditor *editor, int count, const char *text) {
    if (count > 0) el_deletestr(editor->editLine, count);
    if (text != NULL && text[0] != '\0') el_insertstr(editor->editLine, text);
}

void cedit_print_below(CEditor *editor, const char *text) {
    FILE *output = NULL;
    if (el_get(editor->editLine, EL_GETFP, 1, &output) != 0 || output == NULL) output = stdout;
    size_t length = strlen(text);
    fputc('\n', output);
    fputs(text, output);
    if (length == 0 || text[length - 1] != '\n') fputc('\n', output);
    fflush(output);
}

static int interruptPipe[2] = {-1, -1};

static void on_sigint(int signal) {
    (void)signal;
    int saved = errno;
    char byte = 1;
    // Non-blocking: if nobody reads, extra interrupts are dropped rather than blocking here.
    ssize_t written = write(interruptPipe[1], &byte, 1);
    (void)written;
    errno = saved;
}

int cedit_interrupt_install(void) {
    if (interruptPipe[0] >= 0) return interruptPipe[0];
    int ends[2];
    if (pipe(ends) != 0) return -1;
    for (int i = 0; i < 2; i++) fcntl(ends[i], F_SETFD, FD_CLOEXEC);
    fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK);
    interruptPipe[0] = ends[0];
    interruptPipe[1] = ends[1];
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) != 0) return -1;
    return interruptPipe[0];
}

int cedit_interrupt_wait(int descriptor) {
    char byte;
    for (;;) {
        ssize_t count = read(descriptor, &byte, 1);
        if (count == 1) return 1;
        if (count < 0 && errno == EINTR) continue;
        return 0;
    }
}

int cedit_terminal_columns(int descriptor) {
    struct winsize size;
    if (ioctl(descriptor, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}
