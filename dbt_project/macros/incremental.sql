{#-
  The bookkeeping of the incremental models that replace rows (docs/decisions.md, "Cost that
  grows with what is new"). Bookkeeping columns start with `_` and are not published.
-#}

{# True on an incremental run over a table that already has the bookkeeping `columns`; a
   table built before they existed is rebuilt whole once (and gains them). #}
{% macro incremental_over(columns) -%}
    {%- if this is none or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = load_relation(this) -%}
    {%- if existing is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set present = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
    {%- for column in columns -%}
        {%- if column | lower not in present -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}

{# When this dbt run started, as the timestamp a row's `_checked_at` records: later runs
   always record later times, so "checked since" is a comparison. #}
{% macro run_time() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{# One text that changes whenever any of `columns` changes in any row of `relation` (a small
   lookup such as the school list): a model keeps the digest of what it was built against. #}
{% macro relation_digest(relation, columns) -%}
    (
        select md5(coalesce(string_agg(line, ',' order by line), ''))
        from (
            select concat_ws(
                '|'{% for c in columns %}, coalesce(cast({{ c }} as varchar), '∅'){% endfor %}
            ) as line
            from {{ relation }}
        )
    )
{%- endmacro %}

{# A table built from a checked model's kept rows (fct_school_collections) keeps each row's
   location and the run that checked it. On an incremental run it takes the rows checked
   since its newest (`checked_since_this`), after its pre-hook dropped its rows at their
   locations (`drop_rows_checked_again`). #}
{% macro checked_bookkeeping() -%}
    {{ return(['_batch_seq', '_row_seq', '_checked_at']) }}
{%- endmacro %}

{% macro checked_since_this() -%}
    {%- if incremental_over(checked_bookkeeping()) -%}
        _checked_at > (select coalesce(max(_checked_at), cast('-infinity' as timestamp)) from {{ this }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro drop_rows_checked_again(checked) -%}
    {%- if incremental_over(checked_bookkeeping()) -%}
        delete from {{ this }} as t
        where exists (
            select 1
            from {{ checked }} as c
            where
                c._batch_seq = t._batch_seq and c._row_seq = t._row_seq
                and c._checked_at > (select max(_checked_at) from {{ this }})
        )
    {%- endif -%}
{%- endmacro %}

{# The post-hook of an appending model whose table may have been built before its
   bookkeeping column `column` existed: dbt added the column (null in the old rows) and the
   model inserted every row again, so the old rows go. (A pre-hook could not empty the table:
   DuckDB does not alter a table the same transaction already changed.) #}
{% macro drop_rows_built_before(column) -%}
    {%- if this is not none and is_incremental() -%}
        delete from {{ this }} where {{ column }} is null
    {%- endif -%}
{%- endmacro %}
