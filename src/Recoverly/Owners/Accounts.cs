using System.Net.Mail;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Owners;

public enum ResendOutcome { Sent, AlreadyVerified, TooSoon }

/// <summary>
/// Sign-up with a mailed confirmation link, sign-in with lockout, and password reset by mailed link.
/// Sign-up, login and reset answer the same way, after the same password-hashing work, whether or not
/// an email has an account (docs/deploy.md, "Accounts").
/// </summary>
public sealed class Accounts(RecoverlyDb db, IWriteGate gate, IPasswordHasher<OwnerAccount> hasher, AccountMail mail, PublicUrls urls,
    TimeProvider time, ILogger<Accounts> log)
{
    public const int MinPasswordLength = 10;
    public const int MaxFailedLogins = 5;
    public static readonly TimeSpan Lockout = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan ResetLifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan VerificationLifetime = TimeSpan.FromHours(24);
    /// <summary>Reset links, and separately confirmation links, an account is mailed per hour at most.</summary>
    public const int MailsPerHour = 3;
    /// <summary>The shortest time between two reset or confirmation mails of one account.</summary>
    public static readonly TimeSpan MailGap = TimeSpan.FromMinutes(1);
    /// <summary>The shortest time between two "you already have an account" notices to one address.</summary>
    public static readonly TimeSpan NoticeGap = TimeSpan.FromHours(1);

    /// <summary>Every failed login gets this one answer: it does not tell a missing account, a wrong password and a lockout apart.</summary>
    public const string WrongLogin =
        "That email and password don't match. After 5 wrong tries an account is locked for 15 minutes; resetting the password unlocks it.";

    private static readonly OwnerAccount Dummy = new() { Email = "", PasswordHash = "", SecurityStamp = "" };

    /// <summary>Checked when no account matches, so a login for an unknown email costs what a wrong password does.</summary>
    private static readonly Lazy<string> DummyHash = new(() =>
        new PasswordHasher<OwnerAccount>().HashPassword(Dummy, Convert.ToHexString(RandomNumberGenerator.GetBytes(16))));

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

    /// <summary>True when the owner login of <paramref name="businessId"/> has confirmed its email address.</summary>
    public static Task<bool> IsEmailVerifiedAsync(RecoverlyDb db, long businessId, CancellationToken ct = default) =>
        db.OwnerAccounts.AnyAsync(a => a.BusinessId == businessId && a.EmailVerifiedAt != null, ct);

    public static Task<bool> IsAccountEmailVerifiedAsync(RecoverlyDb db, long accountId, CancellationToken ct = default) =>
        db.OwnerAccounts.AnyAsync(a => a.Id == accountId && a.EmailVerifiedAt != null, ct);

    /// <summary>
    /// Returns a problem with the typed values, or null — and then, whether the email is new or not, the answer is
    /// the same "check your email": a new account is mailed a confirmation link, an existing one a notice.
    /// Nobody is signed in here: the link (with the password) does that.
    /// </summary>
    public async Task<string?> SignUpAsync(string? email, string? password, CancellationToken ct)
    {
        if (ValidateEmail(email) is { } emailError) return emailError;
        if (ValidatePassword(password) is { } passwordError) return passwordError;
        var (account, created) = await CreateAsync(email!, password!, emailVerified: false, ct);
        if (created) await MailConfirmationAsync(account, ct);
        else await NoticeExistingAsync(account, ct);
        return null;
    }

    /// <summary>Creates a login, or returns the one that has the email already (<c>Created</c> false). Values must be valid.</summary>
    public async Task<(OwnerAccount Account, bool Created)> CreateAsync(string email, string password, bool emailVerified, CancellationToken ct)
    {
        var normalized = NormalizeEmail(email);
        var now = time.GetUtcNow().UtcDateTime;
        var account = new OwnerAccount
        {
            Email = normalized, PasswordHash = "", SecurityStamp = NewStamp(), CreatedAt = now, EmailVerifiedAt = emailVerified ? now : null,
        };
        // Hashed before looking: the same work whether or not the address has an account.
        account.PasswordHash = hasher.HashPassword(account, password);
        using var _ = await gate.EnterAsync(ct);
        if (await db.OwnerAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.Email == normalized, ct) is { } existing) return (existing, false);
        db.OwnerAccounts.Add(account);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return (await db.OwnerAccounts.AsNoTracking().FirstAsync(a => a.Email == normalized, ct), false);
        }
        return (account, true);
    }

    public async Task<(OwnerAccount? Account, string? Error)> SignInAsync(string? email, string? password, CancellationToken ct)
    {
        var normalized = NormalizeEmail(email);
        var now = time.GetUtcNow().UtcDateTime;
        var account = await db.OwnerAccounts.FirstOrDefaultAsync(a => a.Email == normalized, ct);
        // One password check whatever comes next, so the timing does not tell an unknown or locked account from a wrong password.
        var result = hasher.VerifyHashedPassword(account ?? Dummy, account?.PasswordHash ?? DummyHash.Value, password ?? "");
        if (account is null || string.IsNullOrEmpty(password) || account.LockedUntil > now) return (null, WrongLogin);
        using var _ = await gate.EnterAsync(ct);
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
            return (null, WrongLogin);
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded) account.PasswordHash = hasher.HashPassword(account, password);
        account.FailedLogins = 0;
        account.LockedUntil = null;
        await db.SaveChangesAsync(ct);
        return (account, null);
    }

    /// <summary>Emails a reset link when the account exists (a few an hour at most); says nothing either way (no account enumeration).</summary>
    public async Task RequestResetAsync(string? email, CancellationToken ct)
    {
        var normalized = NormalizeEmail(email);
        var now = time.GetUtcNow().UtcDateTime;
        var token = NewToken();
        var account = await db.OwnerAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.Email == normalized, ct);
        if (account is null) return;
        using (await gate.EnterAsync(ct))
        {
            // A link lives as long as the throttle window, so the links still alive are the ones mailed within it.
            var recent = await db.PasswordResetTokens.AsNoTracking().Where(t => t.AccountId == account.Id && t.ExpiresAt > now)
                .Select(t => t.ExpiresAt).ToListAsync(ct);
            if (recent.Count >= MailsPerHour || recent.Any(expires => expires - ResetLifetime > now - MailGap))
            {
                log.LogWarning("Password reset for account {AccountId} not mailed: asked for too often", account.Id);
                return;
            }
            db.PasswordResetTokens.Add(new PasswordResetToken
            {
                AccountId = account.Id, TokenHash = OwnerAuth.HashToken(token), ExpiresAt = now + ResetLifetime,
            });
            await db.SaveChangesAsync(ct);
        }
        var link = urls.For($"/reset-password?token={token}");
        mail.Enqueue(account.Email, "Reset your Recoverly password",
            $"Someone (hopefully you) asked to reset the password of your Recoverly account.\n\nChoose a new password here (the link works for one hour, once, and only until you ask for another):\n{link}\n\nIf you didn't ask, ignore this email; your password stays the same.\n");
    }

    public async Task<string?> ResetAsync(string? token, string? newPassword, CancellationToken ct)
    {
        const string expired = "This reset link has expired or was already used. Ask for a new one.";
        if (ValidatePassword(newPassword) is { } error) return error;
        var hash = OwnerAuth.HashToken(token ?? "");
        var now = time.GetUtcNow().UtcDateTime;
        using var _ = await gate.EnterAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var reset = await db.PasswordResetTokens.FirstOrDefaultAsync(t => t.TokenHash == hash, ct);
        if (reset is null || reset.UsedAt is not null || reset.ExpiresAt <= now) return expired;
        // Only the newest link of an account works: asking again retires the links mailed before.
        if (await db.PasswordResetTokens.AnyAsync(t => t.AccountId == reset.AccountId && t.Id > reset.Id, ct)) return expired;
        var account = await db.OwnerAccounts.FirstAsync(a => a.Id == reset.AccountId, ct);
        account.PasswordHash = hasher.HashPassword(account, newPassword!);
        account.SecurityStamp = NewStamp();
        account.FailedLogins = 0;
        account.LockedUntil = null;
        // The link reached the mailbox, which is what confirming the email proves.
        account.EmailVerifiedAt ??= now;
        reset.UsedAt = now;
        await db.SaveChangesAsync(ct);
        await OwnerAuth.EndSessionsAsync(db, account.Id, ct);
        await tx.CommitAsync(ct);
        return null;
    }

    /// <summary>The account a confirmation link belongs to while it can still confirm it, or null.</summary>
    public async Task<(long AccountId, string Email)?> PeekConfirmationAsync(string? token, CancellationToken ct)
    {
        var hash = OwnerAuth.HashToken(token ?? "");
        var now = time.GetUtcNow().UtcDateTime;
        var row = await db.EmailVerificationTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash && t.UsedAt == null && t.ExpiresAt > now)
            .Join(db.OwnerAccounts.Where(a => a.EmailVerifiedAt == null), t => t.AccountId, a => a.Id, (t, a) => new { a.Id, a.Email })
            .FirstOrDefaultAsync(ct);
        return row is null ? null : (row.Id, row.Email);
    }

    /// <summary>
    /// Confirms the email of the link's account and returns it, to be signed in. Unless that account is the one
    /// signed in, the password is asked too: an account someone else opened with this address is never handed to
    /// whoever reads the mailbox (they reset the password instead, which also confirms the email).
    /// </summary>
    public async Task<(OwnerAccount? Account, string? Error)> ConfirmEmailAsync(string? token, long? signedInAccountId, string? password,
        CancellationToken ct)
    {
        const string expired = "This confirmation link has expired or was already used. Log in to ask for a new one.";
        if (await PeekConfirmationAsync(token, ct) is not { } link) return (null, expired);
        if (signedInAccountId != link.AccountId && (await SignInAsync(link.Email, password, ct)).Error is { } wrong) return (null, wrong);
        var hash = OwnerAuth.HashToken(token!);
        var now = time.GetUtcNow().UtcDateTime;
        using (await gate.EnterAsync(ct))
        {
            var used = await db.EmailVerificationTokens.Where(t => t.TokenHash == hash && t.UsedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), ct);
            if (used == 0) return (null, expired);
            await db.OwnerAccounts.Where(a => a.Id == link.AccountId && a.EmailVerifiedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.EmailVerifiedAt, now), ct);
        }
        log.LogInformation("Account {AccountId} confirmed its email", link.AccountId);
        return (await db.OwnerAccounts.AsNoTracking().FirstAsync(a => a.Id == link.AccountId, ct), null);
    }

    /// <summary>The banner's "send the link again": a few an hour at most, never two within a minute.</summary>
    public async Task<ResendOutcome> ResendConfirmationAsync(long accountId, CancellationToken ct)
    {
        var account = await db.OwnerAccounts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == accountId, ct);
        if (account is null || account.EmailVerifiedAt is not null) return ResendOutcome.AlreadyVerified;
        var now = time.GetUtcNow().UtcDateTime;
        var since = now - TimeSpan.FromHours(1);
        var recent = await db.EmailVerificationTokens.AsNoTracking().Where(t => t.AccountId == accountId && t.CreatedAt > since)
            .Select(t => t.CreatedAt).ToListAsync(ct);
        if (recent.Count >= MailsPerHour || recent.Any(at => at > now - MailGap)) return ResendOutcome.TooSoon;
        await MailConfirmationAsync(account, ct);
        return ResendOutcome.Sent;
    }

    private async Task MailConfirmationAsync(OwnerAccount account, CancellationToken ct)
    {
        var token = NewToken();
        var now = time.GetUtcNow().UtcDateTime;
        using (await gate.EnterAsync(ct))
        {
            db.EmailVerificationTokens.Add(new EmailVerificationToken
            {
                AccountId = account.Id, TokenHash = OwnerAuth.HashToken(token), CreatedAt = now, ExpiresAt = now + VerificationLifetime,
            });
            await db.SaveChangesAsync(ct);
        }
        var link = urls.For($"/verify-email?token={token}");
        mail.Enqueue(account.Email, "Confirm your email for Recoverly",
            $"Welcome to Recoverly. Confirm that this is your email address here (the link works for 24 hours, once):\n{link}\n\nYou'll be asked for the password you chose.\n\nIf you didn't sign up, ignore this email: nothing happens without the password.\n");
    }

    /// <summary>Someone signed up with an address that has an account: its owner hears about it (once an hour at most), nothing changes.</summary>
    private async Task NoticeExistingAsync(OwnerAccount account, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var quietSince = now - NoticeGap;
        using (await gate.EnterAsync(ct))
        {
            var due = await db.OwnerAccounts.Where(a => a.Id == account.Id && (a.SignUpNoticeAt == null || a.SignUpNoticeAt <= quietSince))
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.SignUpNoticeAt, now), ct);
            if (due == 0) return;
        }
        mail.Enqueue(account.Email, "You already have a Recoverly account",
            $"Someone (hopefully you) tried to create a Recoverly account with this email address. You already have one, so nothing was changed.\n\nLog in: {urls.For("/login")}\nForgot your password? {urls.For("/forgot-password")}\n\nIf it wasn't you, ignore this email: your account and password stay as they are.\n");
    }

    private static string NewStamp() => Guid.NewGuid().ToString("N");

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
}
