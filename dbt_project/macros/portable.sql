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

{# A JSON object's members as a list of texts, the document parsed once (`keys`' order; an
   element null when absent or JSON null): a `json_text` a member parses the document again
   for each, about 19 µs a dossier against 3.4 µs. #}
{% macro json_texts(column, keys) -%}
    {{ return(adapter.dispatch('json_texts', 'cchc')(column, keys)) }}
{%- endmacro %}
{% macro default__json_texts(column, keys) -%}
    json_extract_string({{ column }}, [{%- for key in keys %}'$."{{ key }}"'{% if not loop.last %}, {% endif %}{% endfor -%}])
{%- endmacro %}

{# The element of a `json_texts(column, keys)` list (selected as `_members`) that holds `key`. #}
{% macro member(keys, key) -%}
    _members[{{ keys.index(key) + 1 }}]
{%- endmacro %}

{# A JSON object's member as text only when it is text (a number, object or list reads as
   null, never as its JSON text): for sources without row rules, the procedure catalogue. #}
{% macro json_string(column, key) -%}
    {{ return(adapter.dispatch('json_string', 'cchc')(column, key)) }}
{%- endmacro %}
{% macro default__json_string(column, key) -%}
    case when json_type({{ column }}, '$."{{ key }}"') = 'VARCHAR' then {{ json_text(column, key) }} end
{%- endmacro %}

{# The elements of a JSON array held as text, one row each (use in a select list). #}
{% macro json_array_elements(column) -%}
    {{ return(adapter.dispatch('json_array_elements', 'cchc')(column)) }}
{%- endmacro %}
{% macro default__json_array_elements(column) -%}
    unnest(case when json_valid({{ column }}) and json_type({{ column }}) = 'ARRAY'
                then cast({{ column }} as json[]) end)
{%- endmacro %}

{# True when any of `keys` is present in the JSON object `column` with a type other than
   the one the contract gives it: text (or null), or, with `kind='ARRAY'`, a list (or null).
   DOMAIN.md 2.1: every field is a string; a number, an object or a list where text is due
   is a row-rule breach, never read as its JSON text. #}
{% macro json_not_of_type(column, keys, kind='VARCHAR') -%}
    {{ return(adapter.dispatch('json_not_of_type', 'cchc')(column, keys, kind)) }}
{%- endmacro %}
{#- The types of every member at once: a JSON function per member would hold a parser
    arena each (and ran a 1 GB build out of memory); `json_type` over a list of paths reads
    them without extracting the members first (half the time of `json_extract` then
    `json_type` a member). -#}
{% macro default__json_not_of_type(column, keys, kind) -%}
    coalesce(list_bool_or(list_transform(
        json_type({{ column }}, [{%- for key in keys %}'$."{{ key }}"'{% if not loop.last %}, {% endif %}{% endfor -%}]),
        t -> coalesce(t not in ('{{ kind }}', 'NULL'), false))), false)
{%- endmacro %}

{# A list element that is not an object, or whose contract members are not all text. #}
{% macro json_item_not_text(item, keys) -%}
    (coalesce(json_type({{ item }}) <> 'OBJECT', true) or {{ json_not_of_type(item, keys) }})
{%- endmacro %}

{# A unit or school code fit to be a key, a file name or a label (docs/decisions.md,
   "Hostile input"): letters, digits, '.', '_' and '-', starting with a letter or a digit,
   at most 64 characters; the national agency-code form (000.00.20.H12) and school codes
   are. Anything else is quarantined by its own rule and never becomes a unit. #}
{% macro is_unit_code(expr) -%}
    coalesce(regexp_full_match({{ expr }}, '[0-9A-Za-z][0-9A-Za-z._-]{0,63}'), false)
{%- endmacro %}

{# The unit a record is listed under: its code when it is one, else UNKNOWN. #}
{% macro unit_or_unknown(expr) -%}
    case when {{ is_unit_code(expr) }} then {{ expr }} else 'UNKNOWN' end
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
    separators, optional đ / VND / VNĐ suffix, no decimals. Null when it does not parse
    (or does not fit a bigint: a value from a source never stops the build). -#}
{% macro parse_vnd(expr) -%}
    {{ return(adapter.dispatch('parse_vnd', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__parse_vnd(expr) -%}
    {{ parse_whole("regexp_replace(trim(nfc_normalize(" ~ expr ~ ")), '\\s*(đ|Đ|vnđ|VNĐ|vnd|VND|Vnđ|Vnd)$', '')") }}
{%- endmacro %}

{#- A whole number as DOMAIN.md 2.3 writes amounts, without the currency (the report
    forms' counts, section 7): optional minus, digits with . or , as thousands separators
    (1.250, 1,250, 1250). Null when it does not parse or does not fit a bigint. -#}
{% macro parse_whole(expr) -%}
    {{ return(adapter.dispatch('parse_whole', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__parse_whole(expr) -%}
    case
        when regexp_full_match(trim(nfc_normalize({{ expr }})), '-?([0-9]+|[0-9]{1,3}(\.[0-9]{3})+|[0-9]{1,3}(,[0-9]{3})+)')
        then try_cast(regexp_replace(trim(nfc_normalize({{ expr }})), '[.,]', '', 'g') as bigint)
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

{# ---- File sources (DOMAIN.md 2.2, 2.3): values arrive as the text a person reads. ---- #}

{# A date or time as exports write it: dd/mm/yyyy, dd/mm/yyyy HH:mm[:ss], yyyy-mm-dd, or an
   Excel serial number (days since 1899-12-30, with a fraction for the time). Anything
   else, or an impossible calendar date, is null. #}
{% macro vn_timestamp(expr) -%}
    {{ return(adapter.dispatch('vn_timestamp', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__vn_timestamp(expr) -%}
    case
        when regexp_full_match(trim({{ expr }}), '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}')
            then try_strptime(trim({{ expr }}), '%d/%m/%Y')
        when regexp_full_match(trim({{ expr }}), '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} +[0-9]{1,2}:[0-9]{2}:[0-9]{2}')
            then try_strptime(regexp_replace(trim({{ expr }}), ' +', ' '), '%d/%m/%Y %H:%M:%S')
        when regexp_full_match(trim({{ expr }}), '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} +[0-9]{1,2}:[0-9]{2}')
            then try_strptime(regexp_replace(trim({{ expr }}), ' +', ' '), '%d/%m/%Y %H:%M')
        when regexp_full_match(trim({{ expr }}), '[0-9]{4}-[0-9]{2}-[0-9]{2}')
            then try_strptime(trim({{ expr }}), '%Y-%m-%d')
        when regexp_full_match(trim({{ expr }}), '[0-9]{1,7}(\.[0-9]+)?')
             and cast(trim({{ expr }}) as double) between 1 and 2958465
            then timestamp '1899-12-30' + to_microseconds(cast(round(cast(trim({{ expr }}) as double) * 86400) as bigint) * 1000000)
    end
{%- endmacro %}

{# True when a value is present (not blank) but does not parse as vn_timestamp. #}
{% macro vn_timestamp_invalid(expr) -%}
    (nullif(trim({{ expr }}), '') is not null and {{ vn_timestamp(expr) }} is null)
{%- endmacro %}

{# A decimal as exports write it: 67.5 or 67,5 (a decimal comma). No thousands separators. #}
{% macro vn_decimal(expr) -%}
    {{ return(adapter.dispatch('vn_decimal', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__vn_decimal(expr) -%}
    case when regexp_full_match(trim({{ expr }}), '-?[0-9]+([.,][0-9]+)?')
         then cast(replace(trim({{ expr }}), ',', '.') as decimal(9, 3)) end
{%- endmacro %}

{# A school year as '2023-2024' from '2023-2024', '2023 - 2024' or '2023/2024' (consecutive years). #}
{% macro school_year_key(expr) -%}
    {{ return(adapter.dispatch('school_year_key', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__school_year_key(expr) -%}
    case when regexp_full_match(trim({{ expr }}), '[0-9]{4} *[-/–] *[0-9]{4}')
              and cast(right(trim({{ expr }}), 4) as integer) = cast(left(trim({{ expr }}), 4) as integer) + 1
         then left(trim({{ expr }}), 4) || '-' || right(trim({{ expr }}), 4) end
{%- endmacro %}

{# Text compared as a label: NFC, case-folded, spacing folded (diacritics kept). #}
{% macro label_key(expr) -%}
    {{ return(adapter.dispatch('label_key', 'cchc')(expr)) }}
{%- endmacro %}
{% macro default__label_key(expr) -%}
    nullif(regexp_replace(lower(trim(nfc_normalize({{ expr }}))), '\s+', ' ', 'g'), '')
{%- endmacro %}

{# The landing columns of a file source's raw table. #}
{% macro file_landing_columns() -%}
    _batch_id,
    _batch_seq,
    _row_seq,
    _loaded_at,
    _source,
    _sheet,
    _row,
    _file_id
{%- endmacro %}

{# Digital-transformation level of a group score (QĐ 4725, DOMAIN.md 2.2): Mức 1 below 50,
   Mức 2 from 50 to 75, Mức 3 above 75. #}
{% macro dt_level(score) -%}
    case when {{ score }} is null then null
         when {{ score }} < 50 then 1
         when {{ score }} <= 75 then 2
         else 3 end
{%- endmacro %}

{# The version of a slowly changing dimension in force on a fact's date: the row of
   `relation` with the same key and the greatest `from_column` not after `date_expr`
   (DuckDB's ASOF join; versions follow one another without gaps). #}
{% macro version_on(relation, alias, key, fact_key, from_column, date_expr) -%}
    {{ return(adapter.dispatch('version_on', 'cchc')(relation, alias, key, fact_key, from_column, date_expr)) }}
{%- endmacro %}
{% macro default__version_on(relation, alias, key, fact_key, from_column, date_expr) -%}
    asof left join {{ relation }} as {{ alias }}
        on {{ fact_key }} = {{ alias }}.{{ key }} and {{ date_expr }} >= {{ alias }}.{{ from_column }}
{%- endmacro %}

{# Today in Viet Nam's local time (UTC+7, DOMAIN.md 2): what "the due date has passed"
   is judged against at the run (DOMAIN.md 7). #}
{% macro local_today() -%}
    {{ return(adapter.dispatch('local_today', 'cchc')()) }}
{%- endmacro %}
{% macro default__local_today() -%}
    cast(timezone('Asia/Ho_Chi_Minh', current_timestamp) as date)
{%- endmacro %}
