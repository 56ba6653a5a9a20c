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
    /// <summary>When the owner proved they read mail sent to <see cref="Email"/> (confirmation link or password reset); null until then.</summary>
    public DateTime? EmailVerifiedAt { get; set; }
    /// <summary>When this address was last told "someone tried to sign up with your email" (at most one such notice an hour).</summary>
    public DateTime? SignUpNoticeAt { get; set; }
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

/// <summary>A link mailed to confirm an owner's email address: single use, expiring.</summary>
public sealed class EmailVerificationToken
{
    public long Id { get; set; }
    public long AccountId { get; set; }
    /// <summary>SHA-256 of the emailed token; the token itself is never stored.</summary>
    public required string TokenHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

/// <summary>
/// One signed-in browser. The cookie carries only <see cref="Key"/>; logging out deletes the row, so a
/// copied cookie stops working at once (docs/deploy.md, "Sessions").
/// </summary>
public sealed class LoginSession
{
    public required string Key { get; set; }
    public long AccountId { get; set; }
    /// <summary>The serialized authentication ticket (claims and expiry).</summary>
    public required byte[] Ticket { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
}
