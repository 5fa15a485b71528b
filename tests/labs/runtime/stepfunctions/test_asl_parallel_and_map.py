"""Parallel and Map: branch outputs, concurrency in simulated time, failures, tolerated failures, batching."""

from tests.labs.runtime.stepfunctions.conftest import START, go, machine, types


def test_parallel_outputs_an_array_in_branch_order_and_branches_run_concurrently():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    machine(
                        {
                            "Slow": {"Type": "Wait", "Seconds": 30, "Next": "One"},
                            "One": {"Type": "Pass", "Result": 1, "End": True},
                        }
                    ),
                    machine({"Fast": {"Type": "Pass", "Result": 2, "End": True}}),
                ],
                "End": True,
            }
        }
    )
    result = go(definition)
    assert result["output"] == [1, 2]
    assert result["history"][-1]["timestamp"] - START == 30
    assert "ParallelStateSucceeded" in types(result)


def test_a_failing_branch_fails_the_parallel_state_and_stops_the_others():
    definition = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    machine(
                        {
                            "Long": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
                            "After": {"Type": "Pass", "End": True},
                        }
                    ),
                    machine(
                        {
                            "Fail": {"Type": "Wait", "Seconds": 5, "Next": "F"},
                            "F": {"Type": "Fail", "Error": "E"},
                        }
                    ),
                ],
                "End": True,
            }
        }
    )
    result = go(definition)
    assert (result["status"], result["error"]) == ("FAILED", "E")
    assert result["history"][-1]["timestamp"] - START == 5
    assert "ParallelStateFailed" in types(result)
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in result["history"] if "stateEnteredEventDetails" in e
    ]
    assert "After" not in entered


def test_map_items_path_item_selector_and_context():
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.orders",
                "ItemSelector": {
                    "order.$": "$$.Map.Item.Value",
                    "index.$": "$$.Map.Item.Index",
                    "region.$": "$.region",
                },
                "ItemProcessor": machine({"Each": {"Type": "Pass", "End": True}}),
                "ResultPath": "$.processed",
                "End": True,
            }
        }
    )
    result = go(definition, {"orders": ["a", "b"], "region": "eu"})
    assert result["output"]["processed"] == [
        {"order": "a", "index": 0, "region": "eu"},
        {"order": "b", "index": 1, "region": "eu"},
    ]
    assert types(result).count("MapIterationStarted") == 2
    assert result["history"][2]["mapStateStartedEventDetails"] == {"length": 2}


def test_map_max_concurrency_in_simulated_time():
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 2,
                "ItemProcessor": machine({"W": {"Type": "Wait", "SecondsPath": "$", "End": True}}),
                "End": True,
            }
        }
    )
    result = go(definition, [10, 20, 30, 5])
    # slots: 10 and 20 start at 0; 30 starts at 10 (ends 40); 5 starts at 20 (ends 25)
    assert result["history"][-1]["timestamp"] - START == 40
    assert result["output"] == [10, 20, 30, 5]


def test_map_iteration_failure_fails_the_map_and_aborts_the_rest():
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": machine(
                    {
                        "C": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}],
                            "Default": "Ok",
                        },
                        "Bad": {"Type": "Fail", "Error": "BadItem"},
                        "Ok": {"Type": "Pass", "End": True},
                    }
                ),
                "End": True,
            }
        }
    )
    result = go(definition, [1, 2, 3, 4])
    assert result["error"] == "BadItem"
    assert types(result).count("MapIterationFailed") == 1
    assert types(result).count("MapIterationAborted") == 2


def test_map_tolerated_failures():
    processor = machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "Bad"}],
                "Default": "Ok",
            },
            "Bad": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
            "Ok": {"Type": "Pass", "End": True},
        }
    )
    tolerant = machine(
        {"M": {"Type": "Map", "ItemProcessor": processor, "ToleratedFailureCount": 1, "End": True}}
    )
    result = go(tolerant, [1, -1, 2])
    assert result["status"] == "SUCCEEDED"
    assert result["output"] == [1, {"Error": "Negative", "Cause": "below zero"}, 2]
    exceeded = go(tolerant, [-1, -2, 3])
    assert exceeded["error"] == "States.ExceedToleratedFailureThreshold"
    by_percentage = machine(
        {"M": {"Type": "Map", "ItemProcessor": processor, "ToleratedFailurePercentage": 50, "End": True}}
    )
    assert go(by_percentage, [-1, 1, 2, 3])["status"] == "SUCCEEDED"
    assert go(by_percentage, [-1, -1, -1, 3])["error"] == "States.ExceedToleratedFailureThreshold"


def test_map_item_batcher():
    definition = machine(
        {
            "M": {
                "Type": "Map",
                "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"job": "j"}},
                "ItemProcessor": machine({"B": {"Type": "Pass", "End": True}}),
                "End": True,
            }
        }
    )
    assert go(definition, [1, 2, 3])["output"] == [
        {"BatchInput": {"job": "j"}, "Items": [1, 2]},
        {"BatchInput": {"job": "j"}, "Items": [3]},
    ]


def test_map_items_must_be_an_array():
    definition = machine(
        {"M": {"Type": "Map", "ItemProcessor": machine({"B": {"Type": "Pass", "End": True}}), "End": True}}
    )
    assert go(definition, {"not": "array"})["error"] == "States.Runtime"


# -- variables, context, JSONata --------------------------------------------------------------------------
