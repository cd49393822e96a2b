//! Page size bounds for every paginated query (bounded iteration).

/// Page size when a query gives no `limit`.
pub const DEFAULT_LIMIT: u32 = 10;
/// Largest page size; a larger `limit` is cut down to it.
pub const MAX_LIMIT: u32 = 30;

/// The page size to use for a requested `limit`: default when absent, never above `MAX_LIMIT`.
pub fn clamp_limit(limit: Option<u32>) -> usize {
    limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps() {
        assert_eq!(clamp_limit(None), 10);
        assert_eq!(clamp_limit(Some(5)), 5);
        assert_eq!(clamp_limit(Some(1000)), 30);
    }
}
