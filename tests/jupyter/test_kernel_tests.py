"""jupyter_kernel_test's protocol conformance suite, with a sample for every test it offers."""
import jupyter_kernel_test

import kernel_config
import samples


class GradbookKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = kernel_config.KERNEL_NAME
    language_name = samples.LANGUAGE_NAME
    file_extension = samples.FILE_EXTENSION

    code_hello_world = samples.HELLO_WORLD
    code_stderr = samples.STDERR
    completion_samples = samples.COMPLETION_SAMPLES
    complete_code_samples = samples.COMPLETE_CODE
    incomplete_code_samples = samples.INCOMPLETE_CODE
    invalid_code_samples = samples.INVALID_CODE
    code_page_something = samples.PAGE_SOMETHING
    code_generate_error = samples.GENERATE_ERROR
    code_execute_result = samples.EXECUTE_RESULT
    code_display_data = samples.DISPLAY_DATA
    code_history_pattern = samples.HISTORY_PATTERN
    supported_history_operations = samples.HISTORY_OPERATIONS
    code_inspect_sample = samples.INSPECT_SAMPLE
    code_clear_output = samples.CLEAR_OUTPUT


class GradbookIopubWelcomeTests(jupyter_kernel_test.IopubWelcomeTests):
    kernel_name = kernel_config.KERNEL_NAME
    support_iopub_welcome = True
