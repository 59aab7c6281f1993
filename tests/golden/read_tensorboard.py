"""Reads a TensorBoard log directory with TensorBoard's own loader and prints
what it found as JSON, for tests/core/tensorboard_test.cpp:

  {"file_version": "brain.Event:2",
   "scalars": {tag: [[step, wall_time, value], ...]},
   "texts": {tag: [[step, text], ...]}}

Non-finite values are printed as the strings "nan", "inf", "-inf" (JSON has
no NaN).

  python tests/golden/read_tensorboard.py LOG_DIR
"""

import json
import math
import sys

from tensorboard.backend.event_processing import event_accumulator


def number(value):
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def main():
    log_dir = sys.argv[1]
    # Keep every event (the defaults sample scalars down to 10,000 and tensors to 10).
    accumulator = event_accumulator.EventAccumulator(
        log_dir, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    result = {"file_version": accumulator.file_version, "scalars": {}, "texts": {}}
    for tag in tags[event_accumulator.SCALARS]:
        result["scalars"][tag] = [
            [event.step, event.wall_time, number(event.value)] for event in accumulator.Scalars(tag)
        ]
    for tag in tags[event_accumulator.TENSORS]:
        if accumulator.SummaryMetadata(tag).plugin_data.plugin_name != "text":
            continue
        result["texts"][tag] = [
            [event.step, event.tensor_proto.string_val[0].decode("utf-8")]
            for event in accumulator.Tensors(tag)
        ]
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
