namespace Recoverly.Owners;

/// <summary>An owner's login. One account per business for now.</summary>
public sealed class OwnerAccount
{
    public long Id { get; set; }
    /// <summary>Lower-cased, trimmed.</summary>
    public required string Email { get; set; }
    public required string PasswordHash { get; set; }
    public long? BusinessId { get; set; }
    public DateTime CreatedAt { get; set; }
    public int FailedLogins { get; set; }
    public DateTime? LockedUntil { get; set; }
    /// <summary>Changes on password reset so older sessions and reset links stop working.</summary>
    public required string SecurityStamp { get; set; }
    public bool IsOperator { get; set; }
}

public sealed class PasswordResetToken
{
    public long Id { get; set; }
    public long AccountId { get; set; }
    /// <summary>SHA-256 of the emailed token; the token itself is never stored.</summary>
    public required string TokenHash { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}
