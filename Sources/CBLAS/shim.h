#include <cblas.h>
#if defined(__linux__)
// mallopt: GradTensor fixes glibc's thresholds so freed tensor buffers are reused (MallocTuning.swift).
#include <malloc.h>
#endif
