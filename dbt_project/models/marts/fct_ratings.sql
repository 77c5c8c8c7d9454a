with ratings as (
    select * from {{ ref('int_portal__ratings_checked') }}
    where {{ kept() }}
)

select
    ma_danh_gia,
    ma_ho_so,
    coalesce(unit_code, 'UNKNOWN') as unit_code,
    ngay_danh_gia,
    cast(ngay_danh_gia as date) as rating_date,
    muc_do_hai_long,
    muc_do_hai_long in ('1', '2') as is_satisfied,
    _source as source_url,
    _page as source_page,
    _row as source_row,
    _batch_id as batch_id
from ratings
