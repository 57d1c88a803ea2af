from django.core.management.base import BaseCommand

from customers import demo


class Command(BaseCommand):
    help = "Print the demo company's logins (the last thing `make demo` says)."

    def handle(self, *args, **options):
        from staff.models import Employee

        named = Employee.objects.filter(user__username__in=demo.NAMED_LOGINS).select_related("user")
        if not named:
            self.stdout.write("No demo logins here: run `manage.py seed_demo` first.")
            return
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password {demo.DEMO_PASSWORD}):"))
        for employee in sorted(named, key=lambda e: demo.NAMED_LOGINS.index(e.user.username)):
            self.stdout.write(
                f"  {employee.user.username:<10} {employee.name}, {employee.get_role_display()}"
            )
