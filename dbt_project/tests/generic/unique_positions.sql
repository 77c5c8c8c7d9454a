{#- Each `position` (an integer) at most once within its `group`: the key of a landed row's
    place (`_batch_seq`, `_row_seq`: its batch and its number in the batch). Hashing every
    key is the cost of the usual test (a hash table of as many groups as rows: 3.5 s at 20 M
    collection rows next to the other nodes); here a group's positions are cut into blocks
    of 4,096 (`position >> 12`), and each block's positions are counted as one bit each in a
    512-byte bitmap (`bitstring_agg` of `position & 4095`), so the scan hashes one key a
    block and a block's copies are its rows less its bits (0.3 s). Memory stays within a
    bitmap a block, a block at least one row. A failing row is a block with its number of
    copies; a null position counts as one. -#}
{% test unique_positions(model, group, position) %}
select
    {{ group }},
    {{ position }} >> 12 as position_block,
    count(*) - coalesce(bit_count(bitstring_agg(cast({{ position }} & 4095 as integer), 0, 4095)), 0) as copies
from {{ model }}
group by {{ group }}, position_block
having copies > 0
{% endtest %}
