using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Recoverly.Data;
using Recoverly.Telephony;

namespace Recoverly.Businesses;

/// <summary>One verification call Recoverly placed for a business (kept for the rate limits; docs/product/call-through.md).</summary>
public sealed class LineVerificationCall
{
    public long Id { get; set; }
    public long BusinessId { get; set; }
    public required string To { get; set; }
    public DateTime At { get; set; }
    public string? CallSid { get; set; }
}

/// <summary>Where a business stands with proving its line, for the pages.</summary>
public enum LineState { NotVerified, CodeSent, Verified }

/// <summary>
/// Call-through rings the business line the owner typed, so Recoverly must never become a free way to ring strangers
/// (docs/product/call-through.md): the line must be an ordinary number in an allowed country, and the owner proves they
/// answer it by typing the 6-digit code a verification call says. Codes expire, wrong entries are capped, and the calls
/// themselves are rate limited per business and per called number. Until the code is entered, call-through stays off.
/// </summary>
public sealed class LineVerification(RecoverlyDb db, TimeProvider time, IVerificationCaller caller, IOptions<RecoverlyOptions> options,
    ILogger<LineVerification> log)
{
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);
    public const int MaxWrongCodes = 5;
    public const int CallsPerHour = 3;
    public const int CallsPerDay = 10;
    /// <summary>Verification calls one number may get in a day, from all businesses together.</summary>
    public const int CallsPerNumberPerDay = 5;
    public const int CodeLength = 6;

    public bool ProviderCanCall => caller.Supported;

    /// <summary>Why <paramref name="e164"/> can't be a call-through line, in the owner's words; null when it can.</summary>
    public static string? LineProblem(string e164, IReadOnlyCollection<string> allowedRegions)
    {
        if (Phones.ParseCaller(e164) is not { Kind: CallerIdKind.Number, RegionCode: var region } || !Phones.IsAllowedRegion(region, allowedRegions))
            return $"Recoverly can only ring business lines in the countries it serves ({string.Join(", ", allowedRegions)}); {Phones.FormatForDisplay(e164)} isn't one.";
        if (Phones.IsPremiumOrUnusual(e164))
            return $"{Phones.FormatForDisplay(e164)} is a premium-rate or personal forwarding number; Recoverly doesn't ring those. Enter your ordinary business line.";
        return null;
    }

    public string? LineProblem(string e164) => LineProblem(e164, options.Value.AllowedRegions);

    public LineState StateOf(Business b, DateTime now) =>
        b.VerifiedLine is not null && b.VerifiedLine == b.BusinessPhone ? LineState.Verified
        : CodePending(b, now) ? LineState.CodeSent
        : LineState.NotVerified;

    private static bool CodePending(Business b, DateTime now) =>
        b.LineCodeHash is not null && b.LineCodeTo == b.BusinessPhone && b.LineCodeExpiresAt > now && b.LineCodeAttempts < MaxWrongCodes;

    /// <summary>
    /// Rings the business line with a new code (replacing any earlier one). Returns the problem, or null when the call
    /// was placed. Nothing is kept when a check refuses; a call the provider refused still counts towards the limits.
    /// </summary>
    public async Task<string?> CallWithCodeAsync(long businessId, CancellationToken ct)
    {
        if (!caller.Supported) return IVerificationCaller.Unavailable;
        var now = time.GetUtcNow().UtcDateTime;
        var business = await db.Businesses.AsNoTracking().Include(b => b.Numbers).FirstAsync(b => b.Id == businessId, ct);
        var line = business.BusinessPhone;
        if (LineProblem(line) is { } problem) return problem;
        if (business.VerifiedLine == line) return "Your business line is already verified.";
        if (business.Numbers.OrderBy(n => n.Id).FirstOrDefault()?.E164 is not { } from) return "Your business has no Recoverly number to call from yet.";
        if (await db.Numbers.AnyAsync(n => n.E164 == line, ct)) return "Your business line is a Recoverly number. Enter the number your customers call.";
        var logins = await db.OwnerAccounts.AsNoTracking().Where(a => a.BusinessId == businessId).Select(a => a.EmailVerifiedAt != null).ToListAsync(ct);
        if (logins.Count > 0 && !logins.Contains(true)) return "Confirm your email address first (use the link we emailed you); then we can call your line.";

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        long callId;
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            // Serialise per business and per called number, so parallel clicks can't slip past the limits.
            await KeyLock.LockAsync(db, $"linecall:business:{businessId}", ct);
            await KeyLock.LockAsync(db, $"linecall:to:{line}", ct);
            var hourAgo = now - TimeSpan.FromHours(1);
            var dayAgo = now - TimeSpan.FromDays(1);
            var recent = await db.LineVerificationCalls.AsNoTracking().Where(c => c.BusinessId == businessId && c.At > dayAgo)
                .Select(c => c.At).ToListAsync(ct);
            if (recent.Count(at => at > hourAgo) >= CallsPerHour)
                return $"We've called your line {CallsPerHour} times in the last hour. Wait a while, then ask again.";
            if (recent.Count >= CallsPerDay) return $"We've called your line {CallsPerDay} times today, the daily limit. Try again tomorrow.";
            if (await db.LineVerificationCalls.CountAsync(c => c.To == line && c.At > dayAgo, ct) >= CallsPerNumberPerDay)
                return $"{Phones.FormatForDisplay(line)} has had {CallsPerNumberPerDay} verification calls today, the daily limit. Try again tomorrow.";
            var record = new LineVerificationCall { BusinessId = businessId, To = line, At = now };
            db.LineVerificationCalls.Add(record);
            await db.SaveChangesAsync(ct);
            callId = record.Id;
            var hash = Hash(businessId, line, code);
            var expires = now + CodeLifetime;
            await db.Businesses.Where(b => b.Id == businessId && b.BusinessPhone == line).ExecuteUpdateAsync(s => s
                .SetProperty(b => b.LineCodeHash, hash)
                .SetProperty(b => b.LineCodeTo, line)
                .SetProperty(b => b.LineCodeExpiresAt, expires)
                .SetProperty(b => b.LineCodeAttempts, 0), ct);
            await tx.CommitAsync(ct);
        }

        // Outside the transaction: never hold the database while the provider answers.
        var result = await caller.CallAsync(line, from, Words(business.Name, code), ct);
        using (await db.EnterWriteGateAsync(ct))
        {
            if (result.Placed)
                await db.LineVerificationCalls.Where(c => c.Id == callId).ExecuteUpdateAsync(s => s.SetProperty(c => c.CallSid, result.CallSid), ct);
            else
                await db.Businesses.Where(b => b.Id == businessId && b.LineCodeTo == line).ExecuteUpdateAsync(s => s.SetProperty(b => b.LineCodeHash, (string?)null), ct);
        }
        log.LogInformation("Line verification call for business {BusinessId} to {Line}: {Result}", businessId, Phones.Mask(line),
            result.Placed ? "placed" : "refused");
        return result.Problem;
    }

    /// <summary>What the call says: the code digit by digit, so text-to-speech reads "4 1 9", not "four hundred nineteen".</summary>
    public static string Words(string businessName, string code) =>
        $"This is Recoverly, verifying the business line of {businessName}. Your code is {string.Join(", ", code.ToCharArray())}.";

    /// <summary>
    /// Checks the code the owner typed. Right: the line is verified and call-through turned on. Returns the problem, or null.
    /// A malformed entry changes nothing; a wrong one uses up one of <see cref="MaxWrongCodes"/> tries.
    /// </summary>
    public async Task<string?> EnterCodeAsync(long businessId, string? typed, CancellationToken ct)
    {
        var digits = new string((typed ?? "").Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray());
        if (digits.Length != CodeLength || !digits.All(char.IsAsciiDigit)) return $"Enter the {CodeLength}-digit code from the call.";
        var now = time.GetUtcNow().UtcDateTime;
        var b = await db.Businesses.AsNoTracking().FirstAsync(x => x.Id == businessId, ct);
        if (b.VerifiedLine is not null && b.VerifiedLine == b.BusinessPhone) return "Your business line is already verified.";
        if (b.LineCodeHash is null || b.LineCodeTo != b.BusinessPhone) return "Ask for a verification call first: press “Call me with a code”.";
        if (b.LineCodeAttempts >= MaxWrongCodes) return $"That code was entered wrong {MaxWrongCodes} times, so it no longer works. Ask for a new call.";
        if (b.LineCodeExpiresAt <= now) return $"That code has expired (codes last {CodeLifetime.TotalMinutes:0} minutes). Ask for a new call.";

        var hash = b.LineCodeHash;
        var line = b.LineCodeTo;
        using var _ = await db.EnterWriteGateAsync(ct);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(businessId, line, digits)), Encoding.ASCII.GetBytes(hash)))
        {
            // One atomic step per wrong entry, so parallel guesses can't get more than the allowed tries.
            var counted = await db.Businesses
                .Where(x => x.Id == businessId && x.LineCodeHash == hash && x.LineCodeAttempts < MaxWrongCodes)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LineCodeAttempts, x => x.LineCodeAttempts + 1), ct);
            var left = MaxWrongCodes - b.LineCodeAttempts - 1;
            return counted == 0 || left <= 0
                ? $"That code was entered wrong {MaxWrongCodes} times, so it no longer works. Ask for a new call."
                : $"That's not the code we said. {left} {(left == 1 ? "try" : "tries")} left.";
        }
        var verified = await db.Businesses
            .Where(x => x.Id == businessId && x.LineCodeHash == hash && x.LineCodeAttempts < MaxWrongCodes && x.BusinessPhone == line
                        && x.LineCodeExpiresAt > now)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.VerifiedLine, line)
                .SetProperty(x => x.LineVerifiedAt, now)
                .SetProperty(x => x.LineCodeHash, (string?)null)
                .SetProperty(x => x.LineCodeAttempts, 0)
                .SetProperty(x => x.Mode, CallMode.CallThrough), ct);
        if (verified == 0) return "That code no longer works (your business line changed, or a new code was sent). Ask for a new call.";
        log.LogInformation("Business {BusinessId} verified its line {Line}; call-through on", businessId, Phones.Mask(line));
        return null;
    }

    /// <summary>The business line changes: any proof for the old line, pending code and call-through go with it.</summary>
    public static Task<int> ChangeLineAsync(RecoverlyDb db, long businessId, string newLine, CancellationToken ct) =>
        db.Businesses.Where(b => b.Id == businessId && b.BusinessPhone != newLine).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.BusinessPhone, newLine)
            .SetProperty(b => b.VerifiedLine, (string?)null)
            .SetProperty(b => b.LineVerifiedAt, (DateTime?)null)
            .SetProperty(b => b.LineCodeHash, (string?)null)
            .SetProperty(b => b.LineCodeTo, (string?)null)
            .SetProperty(b => b.LineCodeAttempts, 0)
            .SetProperty(b => b.Mode, CallMode.Forwarding), ct);

    private static string Hash(long businessId, string line, string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{businessId}:{line}:{code}")));
}
