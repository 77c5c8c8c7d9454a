{#-
  One list per concept (DESIGN.md "Conventions"). The file sources are declared once, in
  connectors/exports.py (LAYOUTS), and reach dbt as the var `file_sources` that every dbt
  command of the project passes (orchestration/defs/dbt/project.py). Each entry:
  `source` (e.g. payments.collections), `raw_table`, `staging` and `checked` models,
  `unit` (the checked model's column naming the unit) and `nfd_warning`.
-#}
{% macro file_sources() -%}
    {%- set sources = var('file_sources', none) -%}
    {%- if sources is none -%}
        {{ exceptions.raise_compiler_error(
            "var file_sources is missing: run dbt through the cchc commands, or pass the vars of "
            ~ "orchestration/defs/dbt/project.py::dbt_vars") }}
    {%- endif -%}
    {{ return(sources) }}
{%- endmacro %}

{# The location of a file row, as the quarantine and the warnings name it: file!sheet#row. #}
{% macro file_record_key(alias) -%}
    {{ alias }}.file_label || '!' || coalesce({{ alias }}._sheet, '') || '#' || cast({{ alias }}._row as varchar)
{%- endmacro %}

{# A checked row that counts: not set aside and breaking no row rule (every checked model
   exposes it as `is_kept`). #}
{% macro kept(set_aside_reason='set_aside_reason', reason_codes='reason_codes') -%}
    ({% if set_aside_reason %}{{ set_aside_reason }} is null and {% endif %}coalesce({{ reason_codes }}, '') = '')
{%- endmacro %}

{# A checked rating or file row the quarantine lists: not set aside, breaking a row rule
   (`alias` the checked model's, with its dot). The quarantine and the records it shows
   (int_quarantine__records) take their rows by this one condition. #}
{% macro quarantined(alias='') -%}
    ({{ alias }}set_aside_reason is null and not {{ kept(none, alias ~ 'reason_codes') }})
{%- endmacro %}

{# The school year (DOMAIN.md 3, "Schools"): 1 September to 31 August, keyed '2023-2024'. #}
{% macro school_year_start(key) -%}
    cast(left({{ key }}, 4) || '-09-01' as date)
{%- endmacro %}
{% macro school_year_end(key) -%}
    cast(right({{ key }}, 4) || '-08-31' as date)
{%- endmacro %}
{% macro school_year_of(day) -%}
    case
        when month({{ day }}) >= 9
            then cast(year({{ day }}) as varchar) || '-' || cast(year({{ day }}) + 1 as varchar)
        else cast(year({{ day }}) - 1 as varchar) || '-' || cast(year({{ day }}) as varchar)
    end
{%- endmacro %}

{# The raw columns of a file source as received, passed through by its staging model under
   `received__<column>` (landing columns and pseudonyms left out): the quarantine builds the
   record a unit recognises from them, for the rows it lists only. #}
{% macro received_columns(relation) -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- if not col.name.startswith('_') and not col.name.endswith('_hash') %}
    {{ adapter.quote(col.name) }} as {{ adapter.quote('received__' ~ col.name) }},
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro received_record(relation, alias) -%}
    {%- set names = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- if col.name.startswith('received__') -%}{%- do names.append(col.name) -%}{%- endif -%}
    {%- endfor -%}
    to_json(struct_pack(
        {%- for name in names %}
        {{ adapter.quote(name[10:]) }} := {{ alias }}.{{ adapter.quote(name) }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    ))
{%- endmacro %}

{# Every column of a staging model but the received ones (models downstream keep the parsed
   values; the quarantine alone goes back for the record as received). #}
{% macro staged_columns(alias, relation) -%}
    {%- set received = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- if col.name.startswith('received__') -%}{%- do received.append(adapter.quote(col.name)) -%}{%- endif -%}
    {%- endfor -%}
    {{ alias }}.*{% if received %} exclude ({{ received | join(', ') }}){% endif %}
{%- endmacro %}
