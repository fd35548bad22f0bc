"""A probe function for the local stack's Lambda emulation tests: it reports its process, its module
state and its environment, and sleeps, fails or exits when the event asks."""

import os
import time

INVOCATIONS = 0  # module state: how many invocations this execution environment has served


def lambda_handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    if "Records" in event:  # an SQS batch: each body is seconds to sleep, or "fail"
        failed = []
        for record in event["Records"]:
            if record["body"] == "fail":
                failed.append({"itemIdentifier": record["messageId"]})
            else:
                time.sleep(float(record["body"]))
        return {"batchItemFailures": failed}
    action = event.get("action")
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "raise":
        raise ValueError("the probe failed on purpose")
    elif action == "exit":
        os._exit(3)
    elif action == "unmarshalable":
        return {"pids": {os.getpid()}}  # a set: not JSON
    return {
        "pid": os.getpid(),
        "invocations": INVOCATIONS,
        "function_name": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "queue_url": os.environ.get("PROBE_QUEUE_URL"),
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
    }
