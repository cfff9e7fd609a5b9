#include <sqlite3.h>

/// sqlite3_db_config is variadic, which Swift cannot call: one fixed-arity wrapper per
/// integer option (enable flag in, current state out).
static inline int gradbook_sqlite3_db_config_int(sqlite3 *db, int op, int value, int *current) {
    return sqlite3_db_config(db, op, value, current);
}
