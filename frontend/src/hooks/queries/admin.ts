import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type QuotaUpdate } from "@/lib/api";

const USERS = ["admin", "users"] as const;

export function useAdminUsers() {
  return useQuery({ queryKey: USERS, queryFn: () => unwrap(api.GET("/api/v1/admin/users")), refetchInterval: 10000 });
}

export function useSetQuota() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, quota }: { id: number; quota: QuotaUpdate }) =>
      unwrap(api.PATCH("/api/v1/admin/users/{user_id}/quota", { params: { path: { user_id: id } }, body: quota })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: USERS }),
  });
}

export function useResetQuota() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/api/v1/admin/users/{user_id}/quota", { params: { path: { user_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: USERS }),
  });
}
