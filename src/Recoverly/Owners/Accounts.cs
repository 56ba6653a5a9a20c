using System.Net.Mail;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Owners;

/// <summary>Sign-up, sign-in with lockout, and password reset by emailed link.</summary>
public sealed class Accounts(RecoverlyDb db, IWriteGate gate, IPasswordHasher<OwnerAccount> hasher, IMailer mailer, PublicUrls urls,
    TimeProvider time, ILogger<Accounts> log)
{
    public const int MinPasswordLength = 10;
    public const int MaxFailedLogins = 5;
    public static readonly TimeSpan Lockout = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan ResetLifetime = TimeSpan.FromHours(1);

    public static string NormalizeEmail(string? email) => (email ?? "").Trim().ToLowerInvariant();

    public static string? ValidateEmail(string? email)
    {
        var e = NormalizeEmail(email);
        if (e.Length is 0 or > 254) return "Enter your email address.";
        return MailAddress.TryCreate(e, out var parsed) && parsed.Address == e && e.Contains('.') ? null : "That doesn't look like an email address.";
    }

    public static string? ValidatePassword(string? password) =>
        password is null || password.Length < MinPasswordLength ? $"Use at least {MinPasswordLength} characters for your password."
        : password.Length > 200 ? "That password is too long (200 characters at most)." : null;

    public async Task<(OwnerAccount? Account, string? Error)> SignUpAsync(string? email, string? password, CancellationToken ct)
    {
        if (ValidateEmail(email) is { } emailError) return (null, emailError);
        if (ValidatePassword(password) is { } passwordError) return (null, passwordError);
        var normalized = NormalizeEmail(email);
        using var _ = await gate.EnterAsync(ct);
        if (await db.OwnerAccounts.AnyAsync(a => a.Email == normalized, ct)) return (null, "An account with that email already exists. Log in instead.");
        var account = new OwnerAccount
        {
            Email = normalized, PasswordHash = "", SecurityStamp = NewStamp(), CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        account.PasswordHash = hasher.HashPassword(account, password!);
        db.OwnerAccounts.Add(account);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return (null, "An account with that email already exists. Log in instead.");
        }
        return (account, null);
    }

    public async Task<(OwnerAccount? Account, string? Error)> SignInAsync(string? email, string? password, CancellationToken ct)
    {
        const string wrong = "That email and password don't match.";
        var normalized = NormalizeEmail(email);
        var now = time.GetUtcNow().UtcDateTime;
        using var _ = await gate.EnterAsync(ct);
        var account = await db.OwnerAccounts.FirstOrDefaultAsync(a => a.Email == normalized, ct);
        if (account is null || string.IsNullOrEmpty(password))
        {
            // Same work either way, so timing does not reveal which emails have accounts.
            hasher.HashPassword(new OwnerAccount { Email = normalized, PasswordHash = "", SecurityStamp = "" }, password ?? "");
            return (null, wrong);
        }
        if (account.LockedUntil > now) return (null, "Too many failed attempts. Try again in 15 minutes, or reset your password.");
        var result = hasher.VerifyHashedPassword(account, account.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            account.FailedLogins++;
            if (account.FailedLogins >= MaxFailedLogins)
            {
                account.LockedUntil = now + Lockout;
                account.FailedLogins = 0;
                log.LogWarning("Account {AccountId} locked after repeated failed logins", account.Id);
            }
            await db.SaveChangesAsync(ct);
            return (null, wrong);
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded) account.PasswordHash = hasher.HashPassword(account, password);
        account.FailedLogins = 0;
        account.LockedUntil = null;
        await db.SaveChangesAsync(ct);
        return (account, null);
    }

    /// <summary>Emails a reset link when the account exists; says nothing either way (no account enumeration).</summary>
    public async Task RequestResetAsync(string? email, CancellationToken ct)
    {
        var normalized = NormalizeEmail(email);
        var account = await db.OwnerAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.Email == normalized, ct);
        if (account is null) return;
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        using (await gate.EnterAsync(ct))
        {
            db.PasswordResetTokens.Add(new PasswordResetToken
            {
                AccountId = account.Id, TokenHash = OwnerAuth.HashToken(token), ExpiresAt = time.GetUtcNow().UtcDateTime + ResetLifetime,
            });
            await db.SaveChangesAsync(ct);
        }
        var link = urls.For($"/reset-password?token={token}");
        await mailer.SendAsync(account.Email, "Reset your Recoverly password",
            $"Someone (hopefully you) asked to reset the password of your Recoverly account.\n\nChoose a new password here (the link works for one hour, once):\n{link}\n\nIf you didn't ask, ignore this email; your password stays the same.\n",
            ct);
    }

    public async Task<string?> ResetAsync(string? token, string? newPassword, CancellationToken ct)
    {
        if (ValidatePassword(newPassword) is { } error) return error;
        var hash = OwnerAuth.HashToken(token ?? "");
        var now = time.GetUtcNow().UtcDateTime;
        using var _ = await gate.EnterAsync(ct);
        var reset = await db.PasswordResetTokens.FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        if (reset is null || reset.UsedAt is not null || reset.ExpiresAt <= now) return "This reset link has expired or was already used. Ask for a new one.";
        var account = await db.OwnerAccounts.FirstAsync(a => a.Id == reset.AccountId, ct);
        account.PasswordHash = hasher.HashPassword(account, newPassword!);
        account.SecurityStamp = NewStamp();
        account.FailedLogins = 0;
        account.LockedUntil = null;
        reset.UsedAt = now;
        await db.SaveChangesAsync(ct);
        return null;
    }

    private static string NewStamp() => Guid.NewGuid().ToString("N");
}
