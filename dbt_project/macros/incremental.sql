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

{# Whether the digest `digest` (a scalar subquery made by `relation_digest`) is not the one
   this table keeps in `column`: what the model was built against changed, so every row is
   checked again. Asked of the warehouse when the model is compiled (call it only when
   `incremental_over` holds, so the table is there), so that the model compiles one query
   to check every row and another to check what is new: one query with an `or` of the two
   conditions cannot skip any row (int_portal__dossiers_checked,
   int_payments__collections_checked). #}
{% macro digest_changed(digest, column) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set found = run_query(
        'select ' ~ digest ~ ' is distinct from (select any_value(' ~ column ~ ') from ' ~ this ~ ')'
    ) -%}
    {{ return(found.columns[0].values()[0]) }}
{%- endmacro %}

{# A table built from a checked model's kept rows (fct_school_collections) keeps each row's
   location and the run that checked it. On an incremental run it takes the rows checked
   since its newest (`checked_since_this`), after its pre-hook dropped its rows at their
   locations (`drop_rows_checked_again`). #}
{% macro checked_bookkeeping() -%}
    {{ return(['_batch_seq', '_row_seq', '_checked_at']) }}
{%- endmacro %}

{% macro checked_since_this() -%}
    {{ since_this(checked_bookkeeping()) }}
{%- endmacro %}

{# The condition, on an upstream model's rows, "checked since this table's newest row"
   (`true` when the table is built whole). #}
{% macro since_this(bookkeeping=['_checked_at']) -%}
    {%- if incremental_over(bookkeeping) -%}
        _checked_at > (select coalesce(max(_checked_at), cast('-infinity' as timestamp)) from {{ this }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#
  The portal's dossier chain (int_portal__dossier_versions_ranked -> _latest -> the parsed
  items -> _checked -> _counted -> fct_dossiers) is built key by key: every model stamps the
  rows it writes with the run's start (`_checked_at`, run_time()) and takes again the keys
  (`dossier_key`) its upstream model wrote since its own newest stamp. A model with one row
  per key replaces them (`delete+insert` on the key). A model with any number of rows per key
  (none, when a new version has no items or a dossier stops counting) drops the rows of those
  keys first (`drop_keys_checked_again`, a pre-hook), then appends what they give now.

  The drop and the insert agree even when the drop removes the rows that held the newest
  stamp: after every complete run each key's rows were written at or after its upstream's
  stamp, so a key the insert takes again beyond those dropped has no rows left to double.
#}
{% macro drop_keys_checked_again(upstream, key, stale=none) -%}
    {%- if incremental_over(['_checked_at']) -%}
        delete from {{ this }}
        where
            {{ key }} in (
                select u.{{ key }}
                from {{ upstream }} as u
                where u._checked_at > (select max(_checked_at) from {{ this }})
            )
            {%- if stale %}
            or ({{ stale }})
            {%- endif %}
    {%- endif -%}
{%- endmacro %}

{# The configuration of the parsed items of a dossier's latest version (components, fees,
   results, supplement requests): any number of rows a dossier, dropped by key and appended. #}
{% macro dossier_items_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ drop_keys_checked_again(ref('int_portal__dossiers_latest'), 'dossier_key') }}",
        post_hook="{{ drop_rows_built_before('_checked_at') }}"
    ) }}
{%- endmacro %}

{# The condition, on int_portal__dossiers_counted's rows, "the payment exports' flag of the
   dossier is not the one it was counted with". #}
{% macro payment_changed(paid) -%}
    has_successful_payment is distinct from coalesce(
        (select p.has_successful_payment from {{ paid }} as p where p.dossier_code = ma_ho_so), false
    )
{%- endmacro %}

{# The condition, on an upstream model's rows (`key` qualified by its alias), "this table has
   no row of the key": what a pre-hook dropped comes back (`true` when built whole). #}
{% macro missing_from_this(key) -%}
    {%- if incremental_over(['_checked_at']) -%}
        not exists (select 1 from {{ this }} as t where t.{{ key.split('.')[-1] }} = {{ key }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# A table that is a copy of an upstream model (fct_dossiers of int_portal__dossiers_counted,
   `_checked_at` copied): its pre-hook drops the rows whose key left the upstream model or was
   written there again; `missing_from_this` then takes them back. #}
{% macro drop_rows_changed_in(upstream, key) -%}
    {%- if incremental_over(['_checked_at']) -%}
        delete from {{ this }} as t
        where not exists (
            select 1
            from {{ upstream }} as u
            where u.{{ key }} = t.{{ key }} and u._checked_at = t._checked_at
        )
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

{# What school_over_collections reads besides the collection rows: the fee schedule and the
   schools' attributions, as one digest (`relation_digest`); `over_collection_inputs_changed`
   is the condition "not the one the table keeps" (every school summed again). #}
{% macro over_collection_inputs() -%}
    md5(
        {{ relation_digest(ref('fee_schedule'), ['khoan_thu', 'cap_hoc', 'school_year_from', 'school_year_to',
                                                'max_per_student', 'source_document']) }}
        || {{ relation_digest(ref('dim_schools'), ['school_code', 'attributed_from', 'school_level',
                                                  'managing_unit']) }}
    )
{%- endmacro %}

{% macro over_collection_inputs_changed() -%}
    {{ over_collection_inputs() }} is distinct from (select any_value(_inputs_digest) from {{ this }})
{%- endmacro %}
