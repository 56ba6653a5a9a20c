using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Recoverly.Data;

namespace Recoverly.Owners;

/// <summary>Cookie sign-in for owners; every owner page is scoped to the signed-in owner's business.</summary>
public static class OwnerAuth
{
    public const string AccountClaim = "recoverly:account";
    public const string BusinessClaim = "recoverly:business";
    public const string StampClaim = "recoverly:stamp";
    public const string OperatorPolicy = "operator";
    public const string LoginRateLimit = "login";

    public static IServiceCollection AddOwnerAuth(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<EmailOptions>(config.GetSection("Email"));
        if (!string.IsNullOrWhiteSpace(config["Email:SmtpHost"])) services.AddSingleton<IMailer, SmtpMailer>();
        else services.AddSingleton<IMailer, PickupFolderMailer>();
        services.AddSingleton<IPasswordHasher<OwnerAccount>, PasswordHasher<OwnerAccount>>();
        services.AddScoped<Accounts>();
        services.AddHttpContextAccessor();
        services.AddScoped<CurrentOwner>();

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/logout";
                o.AccessDeniedPath = "/login";
                o.Cookie.Name = "recoverly.owner";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                // Secure whenever served over HTTPS (production); plain http://localhost keeps working for the demo.
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromDays(14);
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = ValidateStampAsync;
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, p => p.RequireClaim(ClaimTypes.Role, "operator"));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(LoginRateLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 20, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "recoverly.af";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        return services;
    }

    /// <summary>A password reset changes the stamp and signs out every other session.</summary>
    private static async Task ValidateStampAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(AccountClaim);
        var stamp = context.Principal?.FindFirstValue(StampClaim);
        var db = context.HttpContext.RequestServices.GetRequiredService<RecoverlyDb>();
        var current = long.TryParse(id, out var accountId)
            ? await db.OwnerAccounts.AsNoTracking().Where(a => a.Id == accountId).Select(a => new { a.SecurityStamp, a.BusinessId }).FirstOrDefaultAsync()
            : null;
        if (current is null || current.SecurityStamp != stamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        // The business is created during onboarding, after sign-in: refresh the claim when it appears.
        if (current.BusinessId?.ToString() != context.Principal!.FindFirstValue(BusinessClaim))
        {
            var account = await db.OwnerAccounts.AsNoTracking().FirstAsync(a => a.Id == accountId);
            context.ReplacePrincipal(Principal(account));
            context.ShouldRenew = true;
        }
    }

    public static ClaimsPrincipal Principal(OwnerAccount account)
    {
        var claims = new List<Claim>
        {
            new(AccountClaim, account.Id.ToString()),
            new(ClaimTypes.Name, account.Email),
            new(StampClaim, account.SecurityStamp),
        };
        if (account.BusinessId is { } b) claims.Add(new Claim(BusinessClaim, b.ToString()));
        if (account.IsOperator) claims.Add(new Claim(ClaimTypes.Role, "operator"));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieAuthenticationDefaults.AuthenticationScheme));
    }

    public static string HashToken(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>The signed-in owner. Pages read data only through <see cref="BusinessId"/>.</summary>
public sealed class CurrentOwner(IHttpContextAccessor http)
{
    private ClaimsPrincipal User => http.HttpContext?.User ?? new ClaimsPrincipal();

    public long AccountId => long.TryParse(User.FindFirstValue(OwnerAuth.AccountClaim), out var id) ? id : 0;

    /// <summary>Null until onboarding has created the business.</summary>
    public long? BusinessId => long.TryParse(User.FindFirstValue(OwnerAuth.BusinessClaim), out var id) ? id : null;

    public string Email => User.FindFirstValue(ClaimTypes.Name) ?? "";
}
