"""Squared number: the handler anatomy example, graded by invoking the student's function."""

from labs.grading.checks import calls_logging, check

FUNCTION = "squared"


def setup(lab):
    lab.deploy_function(FUNCTION, handler="app.lambda_handler")


def _invoke_ok(lab, event):
    result = lab.invoke(FUNCTION, event)
    lab.require(result.ok, f"Invoked with {event} the function failed with {result.error}. Read its logs.")
    return result


def _expect_invalid_input(lab, event):
    result = lab.invoke(FUNCTION, event)
    lab.require(
        not result.ok,
        f"Invoked with {event} the function succeeded and returned {result.text}; it should fail with InvalidInput.",
    )
    error_type = (result.json or {}).get("errorType")
    lab.require(
        error_type == "InvalidInput",
        f"Invoked with {event} the function failed with errorType {error_type!r}; raise your own "
        "InvalidInput exception so the caller can tell bad input from a bug.",
    )
    return result


@check("returns_square", "Returns the number and its square", points=3)
def returns_square(lab):
    result = _invoke_ok(lab, {"number": 5})
    lab.require(
        result.json == {"number": 5, "squared": 25},
        f'For {{"number": 5}} the function returned {result.text}; expected {{"number": 5, "squared": 25}}.',
    )


@check("rejects_missing_number", "Fails with InvalidInput when the number is missing", points=2)
def rejects_missing_number(lab):
    result = _expect_invalid_input(lab, {})
    message = (result.json or {}).get("errorMessage", "")
    lab.require("number" in message, "The error message should say what was expected, e.g. mention 'number'.")


_USE_LOGGING = (
    "use the logging module: logger = logging.getLogger() and logger.setLevel(logging.INFO) at the top of "
    "app.py, then logger.info(...) in the handler"
)


@check("logs_each_request", "Logs each request at INFO with the logging module", points=1)
def logs_each_request(lab):
    result = _invoke_ok(lab, {"number": 3})
    logged = result.log_lines("INFO")
    uses_logging = calls_logging(lab.files.get("app.py", ""))
    if not logged and "[INFO]" in result.logs:
        lab.require(
            False, f"Your [INFO] line was printed, not logged: print() writes plain text; {_USE_LOGGING}."
        )
    lab.require(logged and uses_logging, f"No INFO line from the logging module in the logs: {_USE_LOGGING}.")


@check("rejects_non_numbers", "Fails with InvalidInput for text, booleans and null", points=2)
def rejects_non_numbers(lab):
    for value in ("five", True, None):
        _expect_invalid_input(lab, {"number": value})


@check("negative_and_decimal_numbers", "Squares negative and decimal numbers", points=2)
def negative_and_decimal_numbers(lab):
    for number, squared in ((-4, 16), (1.5, 2.25)):
        result = _invoke_ok(lab, {"number": number})
        lab.require(
            (result.json or {}).get("squared") == squared,
            f"For {number} the function returned {result.text}.",
        )
