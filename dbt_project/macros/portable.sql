{#-
  Engine-specific SQL lives here, behind adapter.dispatch, so the models stay portable
  (DESIGN.md: a server warehouse or Spark can later provide its own implementations).
-#}

{# A JSON object's member as text (null when absent or JSON null). #}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'cchc')(column, key)) }}
{%- endmacro %}
{% macro default__json_text(column, key) -%}
    json_extract_string({{ column }}, '$."{{ key }}"')
{%- endmacro %}

{# The elements of a JSON array held as text, one row each (use in a select list). #}
{% macro json_array_elements(column) -%}
    {{ return(adapter.dispatch('json_array_elements', 'cchc')(column)) }}
{%- endmacro %}
{% macro default__json_array_elements(column) -%}
    unnest(case when json_valid({{ column }}) and json_type({{ column }}) = 'ARRAY'
                then cast({{ column }} as json[]) end)
{%- endmacro %}

{# Unicode NFC, trimmed; empty becomes null. #}
{% macro clean_text(expr) -%}
    {{ return(adapter.dispatch('clean_text', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__clean_text(expr) -%}
    nullif(trim(nfc_normalize({{ expr }})), '')
{%- endmacro %}

{# True when the text is not already in NFC (it had to be normalised: a warning). #}
{% macro is_not_nfc(expr) -%}
    {{ return(adapter.dispatch('is_not_nfc', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__is_not_nfc(expr) -%}
    coalesce({{ expr }} <> nfc_normalize({{ expr }}), false)
{%- endmacro %}

{# A portal timestamp: exactly 14 digits yyyyMMddHHmmss forming a real calendar time
   (to the letter: no surrounding spaces either). #}
{% macro portal_ts(expr) -%}
    {{ return(adapter.dispatch('portal_ts', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__portal_ts(expr) -%}
    case when regexp_full_match({{ expr }}, '[0-9]{14}')
         then try_strptime({{ expr }}, '%Y%m%d%H%M%S') end
{%- endmacro %}

{# True when a date is present (not null or blank) but does not parse. #}
{% macro portal_ts_invalid(expr) -%}
    (nullif(trim({{ expr }}), '') is not null and {{ portal_ts(expr) }} is null)
{%- endmacro %}

{# A contract flag: true only when it is exactly "1". #}
{% macro portal_flag(expr) -%}
    coalesce({{ expr }} = '1', false)
{%- endmacro %}

{#- A VND amount (DOMAIN.md 2.3): optional minus, digits with . or , as thousands
    separators, optional đ / VND / VNĐ suffix, no decimals. Null when it does not parse. -#}
{% macro parse_vnd(expr) -%}
    {{ return(adapter.dispatch('parse_vnd', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__parse_vnd(expr) -%}
    case
        when regexp_full_match(
            regexp_replace(trim(nfc_normalize({{ expr }})), '\s*(đ|Đ|vnđ|VNĐ|vnd|VND|Vnđ|Vnd)$', ''),
            '-?([0-9]+|[0-9]{1,3}(\.[0-9]{3})+|[0-9]{1,3}(,[0-9]{3})+)')
        then cast(regexp_replace(
            regexp_replace(trim(nfc_normalize({{ expr }})), '\s*(đ|Đ|vnđ|VNĐ|vnd|VND|Vnđ|Vnd)$', ''),
            '[.,]', '', 'g') as bigint)
    end
{%- endmacro %}

{# Seconds between two timestamps, exact. #}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'cchc')(start_ts, end_ts)) }}
{%- endmacro %}
{% macro default__seconds_between(start_ts, end_ts) -%}
    date_diff('second', {{ start_ts }}, {{ end_ts }})
{%- endmacro %}

{# A timestamp plus a number of seconds. #}
{% macro add_seconds(ts, seconds) -%}
    {{ return(adapter.dispatch('add_seconds', 'cchc')(ts, seconds)) }}
{%- endmacro %}
{% macro default__add_seconds(ts, seconds) -%}
    ({{ ts }} + to_seconds(cast({{ seconds }} as bigint)))
{%- endmacro %}

{# A stable fingerprint of a text value. #}
{% macro fingerprint(expr) -%}
    {{ return(adapter.dispatch('fingerprint', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__fingerprint(expr) -%}
    md5({{ expr }})
{%- endmacro %}

{# A JSON record with some members removed (personal pseudonyms out of published copies). #}
{% macro json_without(column, keys) -%}
    {{ return(adapter.dispatch('json_without', 'cchc')(column, keys)) }}
{%- endmacro %}
{% macro default__json_without(column, keys) -%}
    case when json_valid({{ column }}) and json_type({{ column }}) = 'OBJECT'
         then cast(json_merge_patch({{ column }}, '{ {%- for k in keys -%}"{{ k }}":null{%- if not loop.last -%},{%- endif -%}{%- endfor -%} }') as varchar)
         else {{ column }} end
{%- endmacro %}

{# Every column of a relation but some (portable `select * exclude (...)`). #}
{% macro star_except(relation, except) -%}
    {%- set names = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- if col.name | lower not in except | map('lower') | list -%}
            {%- do names.append(adapter.quote(col.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ names | join(', ') if names else '*' }}
{%- endmacro %}

{# The landing columns every raw table carries, with the landing order and the record's
   fingerprint (staging models select them first). #}
{% macro landing_columns() -%}
    _batch_id,
    _batch_seq,
    _row_seq,
    _batch_seq * 1000000000 + _row_seq as _landing_seq,
    _loaded_at,
    _source,
    _page,
    _row,
    payload,
    {{ fingerprint('payload') }} as payload_hash,
    coalesce(json_valid(payload) and json_type(payload) = 'OBJECT', false) as is_object
{%- endmacro %}

{# Integer division (truncating), exact for integers. #}
{% macro int_div(numerator, denominator) -%}
    {{ return(adapter.dispatch('int_div', 'cchc')(numerator, denominator)) }}
{%- endmacro %}
{% macro default__int_div(numerator, denominator) -%}
    (({{ numerator }}) // ({{ denominator }}))
{%- endmacro %}
