// Debian's libpq-dev installs libpq's headers under /usr/include/postgresql, which is not on
// the default include path; libpq-fe.h finds its neighbour postgres_ext.h by itself.
#include <postgresql/libpq-fe.h>
