using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Owners;

/// <summary>
/// Keeps owner sessions in the database (<see cref="LoginSession"/>) and gives the browser only a key:
/// logging out, a password reset and removing the operator role delete the rows, so even a copied
/// cookie stops working at once — in every web process, because they share the database.
/// </summary>
public sealed class LoginSessionStore(IServiceScopeFactory scopes, TimeProvider time) : ITicketStore
{
    /// <summary>Sessions that ended this long ago are swept when a new one starts.</summary>
    private static readonly TimeSpan KeepEnded = TimeSpan.FromDays(1);

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var accountId = long.TryParse(ticket.Principal.FindFirst(OwnerAuth.AccountClaim)?.Value, out var id) ? id : 0;
        var now = time.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        using var _ = await scope.ServiceProvider.GetRequiredService<IWriteGate>().EnterAsync(CancellationToken.None);
        var swept = now - KeepEnded;
        await db.LoginSessions.Where(s => s.AccountId == accountId && s.ExpiresAt < swept).ExecuteDeleteAsync();
        db.LoginSessions.Add(new LoginSession
        {
            Key = key, AccountId = accountId, Ticket = TicketSerializer.Default.Serialize(ticket), CreatedAt = now,
            ExpiresAt = ticket.Properties.ExpiresUtc?.UtcDateTime,
        });
        await db.SaveChangesAsync();
        return key;
    }

    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        var bytes = TicketSerializer.Default.Serialize(ticket);
        var expires = ticket.Properties.ExpiresUtc?.UtcDateTime;
        using var _ = await scope.ServiceProvider.GetRequiredService<IWriteGate>().EnterAsync(CancellationToken.None);
        // Only a session that still exists is renewed: a renewal racing a logout must not bring it back.
        await db.LoginSessions.Where(s => s.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Ticket, bytes).SetProperty(x => x.ExpiresAt, expires));
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        var bytes = await db.LoginSessions.AsNoTracking().Where(s => s.Key == key).Select(s => s.Ticket).FirstOrDefaultAsync();
        return bytes is null ? null : TicketSerializer.Default.Deserialize(bytes);
    }

    public async Task RemoveAsync(string key)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RecoverlyDb>();
        using var _ = await scope.ServiceProvider.GetRequiredService<IWriteGate>().EnterAsync(CancellationToken.None);
        await db.LoginSessions.Where(s => s.Key == key).ExecuteDeleteAsync();
    }
}

/// <summary>Hands the cookie handler the <see cref="LoginSessionStore"/> from the container.</summary>
internal sealed class UseLoginSessionStore(LoginSessionStore store)
    : Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (name == CookieAuthenticationDefaults.AuthenticationScheme) options.SessionStore = store;
    }
}
