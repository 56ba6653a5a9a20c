using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Calls;

/// <summary>A call-through call whose screen the business line accepted (pressed 1): keyed by the caller's CallSid.</summary>
public sealed class ScreenedCall
{
    public required string CallSid { get; set; }
    public long BusinessId { get; set; }
    public DateTime AcceptedAt { get; set; }
}

/// <summary>
/// Call-through screening (docs/product/call-through.md): the business line hears "press 1 to take it" before the caller
/// is connected. A carrier voicemail answering the business line presses nothing, so the dial ends "completed" without an
/// acceptance — and that is a missed call, not an answered one. Only a recorded press of 1 makes a dial "answered".
/// </summary>
public static class CallScreening
{
    /// <summary>Seconds the business line has to press 1 after the prompt.</summary>
    public const int PressSeconds = 6;

    public static string Prompt(string businessName) => $"Call for {businessName}: press 1 to take it.";

    /// <summary>How long a press is kept: long enough for the dial's end and the provider's retries of it.</summary>
    public static readonly TimeSpan Kept = TimeSpan.FromDays(1);

    /// <summary>Records the press of 1 once; a repeated webhook changes nothing. Presses older than <see cref="Kept"/> are swept here.</summary>
    public static async Task AcceptAsync(RecoverlyDb db, string callSid, long businessId, DateTime now, CancellationToken ct)
    {
        using var _ = await db.EnterWriteGateAsync(ct);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "ScreenedCalls" ("CallSid", "BusinessId", "AcceptedAt") VALUES ({callSid}, {businessId}, {now})
            ON CONFLICT ("CallSid") DO NOTHING
            """, ct);
        var before = now - Kept;
        await db.ScreenedCalls.Where(c => c.AcceptedAt < before).ExecuteDeleteAsync(ct);
    }

    public static Task<bool> AcceptedAsync(RecoverlyDb db, string callSid, CancellationToken ct) =>
        db.ScreenedCalls.AnyAsync(c => c.CallSid == callSid, ct);

    /// <summary>
    /// The dial's outcome: answered only when the line was bridged <em>and</em> someone pressed 1. Everything else —
    /// no-answer, busy, failed, canceled, or "completed" by a voicemail that pressed nothing — is a missed call.
    /// </summary>
    public static bool Answered(string dialCallStatus, string? dialBridged, bool screenAccepted) =>
        screenAccepted && dialBridged != "false" && dialCallStatus is "completed" or "answered";
}
