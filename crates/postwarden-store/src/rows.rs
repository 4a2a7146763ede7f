//! Small helpers for reading typed values out of `AnyRow`s with useful errors.

use crate::StoreError;
use sqlx::any::{Any, AnyRow};
use sqlx::{Decode, Row, Type};
use std::net::IpAddr;

/// Column `column` of `row`, decoded as `T`.
pub(crate) fn get<'r, T>(
    row: &'r AnyRow,
    column: &str,
    context: &'static str,
) -> Result<T, StoreError>
where
    T: Decode<'r, Any> + Type<Any>,
{
    row.try_get(column).map_err(StoreError::query(context))
}

/// Column number `index` of `row`, decoded as `T`.
pub(crate) fn at<'r, T>(
    row: &'r AnyRow,
    index: usize,
    context: &'static str,
) -> Result<T, StoreError>
where
    T: Decode<'r, Any> + Type<Any>,
{
    row.try_get(index).map_err(StoreError::query(context))
}

/// A stored IP address (text) parsed back; `what` and `id` name the row in the error.
pub(crate) fn parse_ip(
    ip: Option<String>,
    what: &str,
    id: i64,
) -> Result<Option<IpAddr>, StoreError> {
    ip.map(|ip| {
        ip.parse()
            .map_err(|_| StoreError::Corrupt(format!("{what} {id} has invalid IP address `{ip}`")))
    })
    .transpose()
}

/// A stored AS number (BIGINT) back to `u32`.
pub(crate) fn to_asn(asn: i64) -> Result<u32, StoreError> {
    u32::try_from(asn).map_err(|_| StoreError::Corrupt(format!("AS number {asn} is out of range")))
}
